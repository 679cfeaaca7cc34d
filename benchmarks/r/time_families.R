# Times glmmTMB (nbinom2 / Gamma) and lme4's glmer.nb on one CSV: REPS + 1 fits, the first dropped as warm-up.
# usage: Rscript time_families.R CSV FORMULA FAMILY(negative_binomial|gamma) LINK REPS
# Prints JSON: per engine, the fit times (s), -2 log L and the dispersion (theta or shape).
suppressMessages({library(glmmTMB); library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE); d$g <- factor(d$g)
f <- as.formula(a[2]); fam <- a[3]; link <- a[4]; reps <- as.integer(a[5])
timed <- function(fit1) {
  times <- numeric(reps + 1)
  for (i in seq_len(reps + 1)) { t0 <- proc.time()[["elapsed"]]; m <- fit1(); times[i] <- proc.time()[["elapsed"]] - t0 }
  list(model = m, times = times[-1])
}
family <- if (fam == "negative_binomial") nbinom2(link = link) else Gamma(link = link)
tmb <- timed(function() glmmTMB(f, d, family = family))
out <- list(glmmTMB = list(seconds = tmb$times, objective = as.numeric(-2 * logLik(tmb$model)),
                           dispersion = if (fam == "negative_binomial") sigma(tmb$model) else 1 / sigma(tmb$model)^2))
if (fam == "negative_binomial") {
  nb <- timed(function() suppressWarnings(glmer.nb(f, d)))
  out[["glmer.nb"]] <- list(seconds = nb$times, objective = as.numeric(-2 * logLik(nb$model)),
                            dispersion = getME(nb$model, "glmer.nb.theta"))
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
