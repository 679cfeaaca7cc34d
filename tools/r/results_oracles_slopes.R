# Oracles for results-layer numbers of a Poisson GLMM with a correlated random slope (issue 16, red16):
# lme4's estimates and VarCorr, from which the tests derive closed forms: the ICC at x = 0 (lognormal
# approximation with lme4's intercept variance) and the marginal means E[exp(η + z'b)] = exp(η + z'Σz/2).
# Writes tests/reference/results/poisson_slope.json and data/poisson_slope.csv (rows shuffled).
#
# usage (from anywhere): Rscript tools/r/results_oracles_slopes.R
# needs: lme4, jsonlite (Debian r-cran-*)
suppressMessages({library(lme4); library(jsonlite)})

script_dir <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
out_dir <- file.path(script_dir, "..", "..", "tests", "reference", "results")
dir.create(file.path(out_dir, "data"), recursive = TRUE, showWarnings = FALSE)

set.seed(1616)
ng <- 40; sizes <- sample(6:12, ng, replace = TRUE); n <- sum(sizes); gi <- rep(seq_len(ng), sizes)
x <- round(rnorm(n, 0.5, 1), 3)
b0 <- rnorm(ng, 0, 0.6); b1 <- 0.5 * b0 + rnorm(ng, 0, 0.3)       # correlated intercepts and slopes
count <- rpois(n, exp(0.6 + 0.3 * x + b0[gi] + b1[gi] * x))
d <- data.frame(count = count, x = x, g = sprintf("g%02d", gi))
d <- d[sample(nrow(d)), ]
write.csv(d, file.path(out_dir, "data", "poisson_slope.csv"), row.names = FALSE, quote = FALSE)
d <- read.csv(file.path(out_dir, "data", "poisson_slope.csv"), stringsAsFactors = TRUE)

m <- glmer(count ~ x + (1 + x | g), d, family = poisson)
vc <- as.data.frame(VarCorr(m))
sigma_g <- as.matrix(VarCorr(m)$g)
out <- list(
  generator = "tools/r/results_oracles_slopes.R",
  versions = list(R = as.character(getRversion()), lme4 = as.character(packageVersion("lme4"))),
  formula = "count ~ x + (1 + x | g)",
  fixef = as.list(fixef(m)), theta = unname(getME(m, "theta")),
  covariance = unname(sigma_g), covariance_names = colnames(sigma_g),
  deviance = as.numeric(-2 * logLik(m)),
  conditional_response = unname(fitted(m)),                         # exp(Xβ + Zb), rows as in the csv
  typical_response = unname(predict(m, re.form = NA, type = "response")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(out_dir, "poisson_slope.json"))
cat("wrote", file.path(out_dir, "poisson_slope.json"), "\n")
