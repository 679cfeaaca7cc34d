# lme4's interval answers for one model, as JSON: Wald, profile and parametric-bootstrap (bootMer) intervals,
# the profile's zeta curves, and lme4's confint timings.
# usage: Rscript inference_intervals.R CSV FORMULA FAMILY(gaussian|binomial|poisson) REML(TRUE|FALSE)
#                                      FACTORS(comma list) NSIM SEED OUT.json
suppressMessages({library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
f <- as.formula(a[2]); fam <- a[3]; reml <- as.logical(a[4])
facs <- if (nchar(a[5])) strsplit(a[5], ",")[[1]] else character(0)
for (v in facs) d[[v]] <- factor(d[[v]], ordered = FALSE)
nsim <- as.integer(a[6]); seed <- as.integer(a[7])
m <- if (fam == "gaussian") lmer(f, d, REML = reml) else glmer(f, d, family = fam)
tab <- function(ci) list(names = rownames(ci), lower = unname(ci[, 1]), upper = unname(ci[, 2]))
wald <- confint(m, method = "Wald", oldNames = FALSE)
t0 <- proc.time()[["elapsed"]]
prof <- confint(m, method = "profile", oldNames = FALSE)
profile_seconds <- proc.time()[["elapsed"]] - t0
pr <- as.data.frame(profile(m, signames = FALSE))
curves <- list(parameter = as.character(pr$.par), zeta = pr$.zeta,
               value = vapply(seq_len(nrow(pr)), function(i) pr[i, as.character(pr$.par[i])], 0.0))
boot <- NULL; boot_seconds <- NA
if (nsim > 0) {
  t0 <- proc.time()[["elapsed"]]
  boot <- suppressWarnings(confint(m, method = "boot", nsim = nsim, seed = seed, oldNames = FALSE))
  boot_seconds <- proc.time()[["elapsed"]] - t0
}
out <- list(engine = paste0("lme4 ", packageVersion("lme4")), formula = a[2], family = fam, reml = reml,
            objective = as.numeric(-2 * logLik(m)), ml_deviance = as.numeric(-2 * logLik(refitML(m))),
            wald = tab(wald), profile = tab(prof), profile_seconds = profile_seconds, curves = curves,
            boot = if (is.null(boot)) NULL else c(tab(boot), list(nsim = nsim, seed = seed, kind = "percentile")),
            boot_seconds = boot_seconds)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), a[8])
