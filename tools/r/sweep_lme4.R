# Fits a batch of models with lme4, one JSON object per line (used by benchmarks/sweep_lme4.py).
# usage: Rscript sweep_lme4.R MANIFEST.tsv [REPS]
# With REPS (benchmarks/bench_glmm_sweep.py) each model is fitted once untimed, then REPS times, and
# `seconds` is the median of those; without it, one timed fit.
# MANIFEST columns (tab-separated, header): name csv formula family reml factors(comma list)
# Output per case: name, objective (REML criterion, or -2 logLik), theta, fixef, se, warnings, seconds.
suppressMessages({library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
reps <- if (length(a) > 1) as.integer(a[2]) else 0L
cases <- read.delim(a[1], stringsAsFactors = FALSE, quote = "")
for (i in seq_len(nrow(cases))) {
  cs <- cases[i, ]
  d <- read.csv(cs$csv, stringsAsFactors = TRUE)
  facs <- if (!is.na(cs$factors) && nchar(cs$factors)) strsplit(cs$factors, ",")[[1]] else character(0)
  for (v in facs) d[[v]] <- factor(d[[v]])
  f <- as.formula(cs$formula)
  out <- tryCatch({
    fit_once <- function() {
      if (cs$family == "gaussian") lmer(f, d, REML = as.logical(cs$reml)) else glmer(f, d, family = cs$family)
    }
    if (reps > 0) {
      m <- fit_once()
      times <- sapply(seq_len(reps), function(r) system.time(fit_once())[["elapsed"]])
      secs <- median(times)
    } else {
      t0 <- proc.time()[["elapsed"]]
      m <- fit_once()
      secs <- proc.time()[["elapsed"]] - t0
    }
    list(name = cs$name, ok = TRUE,
         objective = if (cs$family == "gaussian" && as.logical(cs$reml)) REMLcrit(m) else as.numeric(-2 * logLik(m)),
         theta = unname(as.numeric(getME(m, "theta"))), fixef = unname(as.numeric(fixef(m))),
         fixef_names = names(fixef(m)), se = unname(sqrt(diag(as.matrix(vcov(m))))), singular = isSingular(m),
         warnings = as.list(as.character(m@optinfo$conv$lme4$messages)), seconds = secs)
  }, error = function(e) list(name = cs$name, ok = FALSE, error = conditionMessage(e)))
  cat(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null"), "\n", sep = "")
}
