# Time lmerTest's df computations on a fitted model (the fit itself is not timed).
# usage: Rscript ddf_timing.R CSV FORMULA FACTORS(comma list) REPS
# Prints JSON: median seconds of as_lmerModLmerTest (Satterthwaite's Hessian and Jacobian) + summary(),
# summary(ddf="Kenward-Roger"), as_lmerModLmerTest + anova(type 3, Satterthwaite), anova(type 3, Kenward-Roger).
suppressMessages({library(lmerTest); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
facs <- if (nchar(a[3])) strsplit(a[3], ",")[[1]] else character(0)
for (v in facs) d[[v]] <- factor(d[[v]])
reps <- as.integer(a[4])
m0 <- lme4::lmer(as.formula(a[2]), d)
m <- as_lmerModLmerTest(m0)
timed <- function(f) median(vapply(seq_len(reps), function(i) { t0 <- proc.time()[["elapsed"]]; f()
                                   proc.time()[["elapsed"]] - t0 }, numeric(1)))
out <- list(
  satterthwaite_coef = timed(function() summary(as_lmerModLmerTest(m0))),
  kenward_roger_coef = timed(function() summary(m, ddf = "Kenward-Roger")),
  anova_satterthwaite = timed(function() anova(as_lmerModLmerTest(m0))),
  anova_kenward_roger = timed(function() anova(m, ddf = "Kenward-Roger")))
cat(toJSON(out, auto_unbox = TRUE, digits = NA))
