# The project's own copy of the lme4 oracle (see benchmarks/README.md).
# Fits one model with lme4 and prints its estimates and fit time as JSON.
# usage: Rscript fit_lme4.R CSV FORMULA FAMILY(gaussian|binomial|poisson) REML(TRUE|FALSE) NAGQ FACTORS(comma list) REPS [WEIGHTS]
suppressMessages({library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
f <- as.formula(a[2]); fam <- a[3]; reml <- as.logical(a[4]); nagq <- as.integer(a[5])
facs <- if (nchar(a[6])) strsplit(a[6], ",")[[1]] else character(0)
for (v in facs) d[[v]] <- factor(d[[v]])
reps <- as.integer(a[7]); w <- if (length(a) >= 8 && nchar(a[8])) d[[a[8]]] else NULL
d$.w <- if (is.null(w)) rep(1, nrow(d)) else w
fit1 <- function() {
  if (fam == "gaussian") lmer(f, d, REML = reml)
  else glmer(f, d, family = fam, nAGQ = nagq, weights = .w)
}
times <- numeric(reps)
for (i in seq_len(reps)) { t0 <- proc.time()[["elapsed"]]; m <- fit1(); times[i] <- proc.time()[["elapsed"]] - t0 }
vc <- as.data.frame(VarCorr(m))
re <- as.data.frame(ranef(m, condVar = TRUE))
ranefs <- list(grpvar = as.character(re$grpvar), term = as.character(re$term), grp = as.character(re$grp),
               condval = re$condval, condsd = re$condsd)
out <- list(
  engine = paste0("lme4 ", packageVersion("lme4")), formula = a[2], family = fam, reml = reml, nagq = nagq,
  nobs = nobs(m), objective = if (fam == "gaussian" && reml) REMLcrit(m) else as.numeric(-2 * logLik(m)),
  deviance_lme4 = if (fam == "gaussian" && reml) NA else suppressWarnings(deviance(m)),
  logLik = as.numeric(logLik(m)), AIC = as.numeric(AIC(m)), BIC = as.numeric(BIC(m)),
  fixef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
  theta = unname(as.numeric(getME(m, "theta"))), sigma = sigma(m),
  varcorr = lapply(seq_len(nrow(vc)), function(i) as.list(vc[i, ])),
  singular = isSingular(m), ranef = ranefs,
  warnings = m@optinfo$conv$lme4$messages,
  fit_seconds = times, fit_seconds_median = median(times))
cat(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE))
