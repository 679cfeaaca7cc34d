# Reference answers from glmmTMB (and lme4's glmer.nb) for negative-binomial and Gamma GLMMs.
# Fits one model and prints its estimates and fit times as JSON.
# usage: Rscript fit_glmmtmb.R CSV FORMULA FAMILY(negative_binomial|gamma) LINK FACTORS(comma list) REPS [ENGINE]
#   ENGINE: glmmTMB (default) or glmer.nb (lme4's negative binomial; FAMILY must be negative_binomial)
suppressMessages({library(glmmTMB); library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
f <- as.formula(a[2]); fam <- a[3]; link <- a[4]
facs <- if (nchar(a[5])) strsplit(a[5], ",")[[1]] else character(0)
for (v in facs) d[[v]] <- factor(d[[v]])
reps <- as.integer(a[6]); engine <- if (length(a) >= 7) a[7] else "glmmTMB"
family <- if (fam == "negative_binomial") nbinom2(link = link) else Gamma(link = link)
fit1 <- function() {
  if (engine == "glmer.nb") glmer.nb(f, d) else glmmTMB(f, d, family = family)
}
times <- numeric(reps)
for (i in seq_len(reps)) { t0 <- proc.time()[["elapsed"]]; m <- fit1(); times[i] <- proc.time()[["elapsed"]] - t0 }
if (engine == "glmer.nb") {
  vc <- as.data.frame(VarCorr(m))
  sds <- vc$sdcor; names(sds) <- paste(vc$grp, vc$var1, vc$var2, sep = "|")
  disp <- getME(m, "glmer.nb.theta"); fe <- fixef(m); se <- sqrt(diag(as.matrix(vcov(m))))
  conv <- m@optinfo$conv$lme4$messages
} else {
  vcl <- VarCorr(m)$cond
  sds <- list(); 
  for (g in names(vcl)) {
    s <- attr(vcl[[g]], "stddev"); cr <- attr(vcl[[g]], "correlation")
    for (j in seq_along(s)) sds[[paste(g, names(s)[j], "NA", sep = "|")]] <- unname(s[j])
    if (length(s) > 1) for (j in 2:length(s)) for (i in 1:(j - 1))
      sds[[paste(g, names(s)[i], names(s)[j], sep = "|")]] <- cr[j, i]
  }
  disp <- if (fam == "negative_binomial") sigma(m) else 1 / sigma(m)^2
  fe <- fixef(m)$cond; se <- sqrt(diag(vcov(m)$cond))
  conv <- if (m$sdr$pdHess) character(0) else "non-positive-definite Hessian"
}
out <- list(engine = if (engine == "glmer.nb") paste0("lme4 ", packageVersion("lme4"), " glmer.nb")
            else paste0("glmmTMB ", packageVersion("glmmTMB")),
            formula = a[2], family = fam, link = link, nobs = nobs(m),
            objective = as.numeric(-2 * logLik(m)),
            objective_optimizer = if (engine == "glmer.nb") NA else 2 * m$fit$objective, fixef = as.list(fe), se = as.list(se),
            sdcor = as.list(sds), dispersion = disp, warnings = conv,
            fit_seconds = times, fit_seconds_median = median(times))
cat(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE))
