# Oracles for every number the results and fitting layers report (issue 16).
#
# Simulates fresh data sets (fixed seeds), writes them to tests/reference/results/data/*.csv (rows
# shuffled, so that nothing is sorted by cluster), fits them with lme4 and asks R for the numbers we
# report: logLik/AIC/BIC/deviance (LMM REML and ML, GLMM Bernoulli, cbind, Poisson), nAGQ > 1
# objectives with the saturated log-likelihood, performance::icc, anova() likelihood-ratio tests,
# geepack::geeglm (exchangeable), performance::check_overdispersion, Pearson residuals, Wald
# intervals at level 0.9 and two-sided z p-values. Writes tests/reference/results/oracles.json.
#
# usage (from anywhere): Rscript tools/r/results_oracles.R
# needs: lme4, performance, insight, geepack, jsonlite (Debian r-cran-*)
suppressMessages({library(lme4); library(performance); library(insight); library(geepack); library(jsonlite)})

script_dir <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
out_dir <- file.path(script_dir, "..", "..", "tests", "reference", "results")
dir.create(file.path(out_dir, "data"), recursive = TRUE, showWarnings = FALSE)

shuffled <- function(d, seed) { set.seed(seed); d[sample(nrow(d)), , drop = FALSE] }
write_data <- function(d, name) {
  write.csv(d, file.path(out_dir, "data", paste0(name, ".csv")), row.names = FALSE, quote = FALSE)
  d <- read.csv(file.path(out_dir, "data", paste0(name, ".csv")), stringsAsFactors = FALSE)  # what Python reads
  for (v in intersect(c("g", "h", "f"), names(d))) d[[v]] <- factor(d[[v]])
  d
}
labels <- function(prefix, n) sprintf(paste0(prefix, "%0", nchar(n), "d"), seq_len(n))

fit_stats <- function(m) {
  out <- list(logLik = as.numeric(logLik(m)), AIC = AIC(m), BIC = BIC(m), npar = attr(logLik(m), "df"),
              nobs = nobs(m), fixef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
              theta = unname(getME(m, "theta")), sigma = sigma(m))
  if (isLMM(m) && isREML(m)) out$REMLcrit <- REMLcrit(m) else out$deviance <- deviance(m)
  if (!isLMM(m)) out$hessian <- m@optinfo$derivs$Hessian   # of the deviance in (theta, beta): lme4's vcov source
  out
}

saturated_loglik <- function(y, mu_family, w) {
  # y: response as lme4 stores it (proportion for cbind); w: prior weights (trials)
  if (mu_family == "poisson") return(sum(dpois(y, y, log = TRUE)))
  sum(dbinom(round(y * w), round(w), y, log = TRUE))
}

agq_case <- function(formula, d, family, nagq) {
  m <- glmer(formula, d, family = family, nAGQ = nagq)
  w <- weights(m)
  list(nagq = nagq, lme4_objective = as.numeric(-2 * logLik(m)), lme4_deviance = deviance(m),
       saturated_loglik = saturated_loglik(getME(m, "y"), family, w),
       fixef = as.list(fixef(m)), theta = unname(getME(m, "theta")))
}

icc_of <- function(m) {
  i <- performance::icc(m)
  by <- tryCatch(as.data.frame(performance::icc(m, by_group = TRUE)), error = function(e) NULL)
  v <- insight::get_variance(m)
  list(icc_adjusted = i$ICC_adjusted, icc_conditional = i$ICC_conditional,
       by_group = if (is.null(by)) NULL else list(group = as.character(by$Group), icc = by$ICC),
       var_random = v$var.random, var_distribution = v$var.distribution, var_residual = v$var.residual,
       var_intercept = as.list(v$var.intercept))
}

wald <- function(m, level) {
  ci <- confint(m, method = "Wald", level = level)
  ci <- ci[names(fixef(m)), , drop = FALSE]
  z <- summary(m)$coefficients
  list(level = level, conf_low = unname(ci[, 1]), conf_high = unname(ci[, 2]),
       statistic = unname(z[, 3]), p_value = if (ncol(z) >= 4) unname(z[, 4]) else NULL)
}

lrt <- function(m0, m1) {
  a <- suppressMessages(anova(m0, m1))
  list(npar = a$npar, logLik = a$logLik, deviance = a$deviance, Chisq = a$Chisq[2], Df = a$Df[2],
       p = a[["Pr(>Chisq)"]][2])
}

gee <- function(formula, d, family, id) {
  sorted <- d[order(d[[id]]), ]   # geeglm needs each cluster's rows together
  sorted$.id <- as.integer(sorted[[id]])
  g <- geeglm(formula, family = family, data = sorted, id = .id, corstr = "exchangeable")
  s <- summary(g)$coefficients
  list(coef = as.list(coef(g)), robust_se = as.list(setNames(s[, "Std.err"], rownames(s))),
       alpha = unname(g$geese$alpha), scale = unname(g$geese$gamma))
}

overdispersion <- function(m) {
  o <- performance::check_overdispersion(m)
  list(chisq = o$chisq_statistic, ratio = o$dispersion_ratio, rdf = o$residual_df, p = o$p_value)
}

out <- list(generator = "tools/r/results_oracles.R",
            versions = list(R = as.character(getRversion()), lme4 = as.character(packageVersion("lme4")),
                            performance = as.character(packageVersion("performance")),
                            insight = as.character(packageVersion("insight")),
                            geepack = as.character(packageVersion("geepack"))))

# ---- LMM: random slope, factor covariate, crossed second factor ------------------------------------
set.seed(1601)
ng <- 24; sizes <- sample(4:12, ng, replace = TRUE); n <- sum(sizes)
g <- rep(labels("g", ng), sizes); gi <- rep(seq_len(ng), sizes)
h <- labels("h", 6)[sample(6, n, replace = TRUE)]
x <- round(rnorm(n), 3); f <- c("a", "b", "c")[sample(3, n, replace = TRUE)]
b0 <- rnorm(ng, 0, 1.2); b1 <- rnorm(ng, 0, 0.5); hh <- rnorm(6, 0, 0.8)
y <- 2 + 0.7 * x + c(a = 0, b = 0.5, c = -0.4)[f] + b0[gi] + b1[gi] * x + hh[match(h, labels("h", 6))] + rnorm(n)
lmm <- write_data(shuffled(data.frame(y = round(y, 3), x = x, f = f, g = g, h = h), 16011), "lmm")
m_reml <- lmer(y ~ x + f + (1 + x | g), lmm)
m_ml <- lmer(y ~ x + f + (1 + x | g), lmm, REML = FALSE)
m_int <- lmer(y ~ x + f + (1 | g), lmm)
m_crossed <- lmer(y ~ x + f + (1 | g) + (1 | h), lmm)
out$lmm <- list(
  formula = "y ~ x + f + (1 + x | g)", reml = fit_stats(m_reml), ml = fit_stats(m_ml),
  intercept_formula = "y ~ x + f + (1 | g)", intercept_icc = icc_of(m_int),
  crossed_formula = "y ~ x + f + (1 | g) + (1 | h)", crossed_icc = icc_of(m_crossed),
  lrt_slope = lrt(m_int, m_reml),                          # REML fits: anova refits by ML
  lrt_x = lrt(lmer(y ~ f + (1 | g), lmm, REML = FALSE), lmer(y ~ x + f + (1 | g), lmm, REML = FALSE)),
  wald90 = wald(m_reml, 0.9),
  pearson = unname(residuals(m_reml, type = "pearson") / sigma(m_reml)))

# ---- Bernoulli: y ~ x + (1 | g) -------------------------------------------------------------------
set.seed(1602)
ng <- 40; sizes <- sample(6:14, ng, replace = TRUE); n <- sum(sizes); gi <- rep(seq_len(ng), sizes)
x <- round(rnorm(n), 3); u <- rnorm(ng, 0, 1.1)
yb <- rbinom(n, 1, plogis(-0.3 + 0.9 * x + u[gi]))
bern <- write_data(shuffled(data.frame(y = yb, x = x, g = rep(labels("g", ng), sizes)), 16021), "bernoulli")
mb <- glmer(y ~ x + (1 | g), bern, family = binomial)
out$bernoulli <- list(
  formula = "y ~ x + (1 | g)", laplace = fit_stats(mb), icc = icc_of(mb),
  lrt_x = lrt(glmer(y ~ 1 + (1 | g), bern, family = binomial), mb),
  wald90 = wald(mb, 0.9), wald95 = wald(mb, 0.95),
  agq = agq_case(y ~ x + (1 | g), bern, "binomial", 9),
  gee = gee(y ~ x, bern, binomial, "g"))

# ---- cbind: successes out of trials -----------------------------------------------------------------
set.seed(1603)
ng <- 30; sizes <- sample(3:8, ng, replace = TRUE); n <- sum(sizes); gi <- rep(seq_len(ng), sizes)
x <- round(rnorm(n), 3); u <- rnorm(ng, 0, 0.7); trials <- sample(2:25, n, replace = TRUE)
s <- rbinom(n, trials, plogis(0.2 - 0.6 * x + u[gi]))
cb <- write_data(shuffled(data.frame(s = s, n = trials, x = x, g = rep(labels("g", ng), sizes)), 16031), "cbind")
mc <- glmer(cbind(s, n - s) ~ x + (1 | g), cb, family = binomial)
out$cbind <- list(
  formula = "cbind(s, n - s) ~ x + (1 | g)", laplace = fit_stats(mc), icc = icc_of(mc),
  pearson = unname(residuals(mc, type = "pearson")), response = unname(residuals(mc, type = "response")),
  agq = agq_case(cbind(s, n - s) ~ x + (1 | g), cb, "binomial", 11),
  gee = gee(cbind(s, n - s) ~ x, cb, binomial, "g"))

# ---- Poisson, without and with overdispersion ----------------------------------------------------
set.seed(1604)
ng <- 30; sizes <- sample(5:10, ng, replace = TRUE); n <- sum(sizes); gi <- rep(seq_len(ng), sizes)
x <- round(rnorm(n), 3); u <- rnorm(ng, 0, 0.6)
count <- rpois(n, exp(0.8 + 0.4 * x + u[gi]))
od_count <- rpois(n, exp(0.8 + 0.4 * x + u[gi] + rnorm(n, 0, 0.8)))
pois <- write_data(shuffled(data.frame(count = count, od_count = od_count, x = x,
                                       g = rep(labels("g", ng), sizes)), 16041), "poisson")
mp <- glmer(count ~ x + (1 | g), pois, family = poisson)
mo <- glmer(od_count ~ x + (1 | g), pois, family = poisson)
out$poisson <- list(
  formula = "count ~ x + (1 | g)", laplace = fit_stats(mp), icc = icc_of(mp),
  null_intercept = unname(fixef(glmer(count ~ 1 + (1 | g), pois, family = poisson))),
  pearson = unname(residuals(mp, type = "pearson")),
  overdispersion = overdispersion(mp),
  od_formula = "od_count ~ x + (1 | g)", od_laplace = fit_stats(mo), od_overdispersion = overdispersion(mo),
  wald90 = wald(mp, 0.9),
  lrt_x = lrt(glmer(count ~ 1 + (1 | g), pois, family = poisson), mp),
  agq = agq_case(count ~ x + (1 | g), pois, "poisson", 7),
  gee = gee(count ~ x, pois, poisson, "g"))

# ---- prior weights: a weighted LMM's scaled residuals, a weighted Poisson's overdispersion ratio --------
set.seed(1605)
lmm$w <- sample(1:4, nrow(lmm), replace = TRUE)
pois$w <- sample(1:3, nrow(pois), replace = TRUE)
write.csv(lmm[, c("w"), drop = FALSE], file.path(out_dir, "data", "lmm_weights.csv"), row.names = FALSE)
write.csv(pois[, c("w"), drop = FALSE], file.path(out_dir, "data", "poisson_weights.csv"), row.names = FALSE)
mw_lmm <- lmer(y ~ x + f + (1 | g), lmm, weights = w)
mw_pois <- glmer(count ~ x + (1 | g), pois, family = poisson, weights = w)
out$weighted <- list(
  lmm_formula = "y ~ x + f + (1 | g)", lmm = fit_stats(mw_lmm),
  lmm_scaled_pearson = unname(residuals(mw_lmm, type = "pearson") / sigma(mw_lmm)),
  poisson_formula = "count ~ x + (1 | g)", poisson = fit_stats(mw_pois),
  poisson_pearson = unname(residuals(mw_pois, type = "pearson")), poisson_overdispersion = overdispersion(mw_pois))

# ---- an offset: GEE against geepack on the three-factor Poisson reference case (tests/reference/extra) ----
off <- read.csv(file.path(out_dir, "..", "extra", "data", "glmm_poisson_offset3.csv"), stringsAsFactors = TRUE)
out$poisson_offset <- list(formula = "count ~ x + offset(log(exposure)) + (1 | a) + (1 | b) + (1 | c)",
                           gee = gee(count ~ x + offset(log(exposure)), off, poisson, "a"))

# ---- cbpp (lme4's data) under nAGQ = 25 --------------------------------------------------------------
out$cbpp_agq25 <- agq_case(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, "binomial", 25)

writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE),
           file.path(out_dir, "oracles.json"))
cat("wrote", file.path(out_dir, "oracles.json"), "\n")
