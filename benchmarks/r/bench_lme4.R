# Fit one LMM with lme4 (REML) and print fit seconds, REML criterion, evaluations and estimates as JSON.
# usage: Rscript bench_lme4.R CSV FORMULA FACTORS(comma list)     (used by benchmarks/bench_scale.py)
suppressMessages({library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1])
for (v in strsplit(a[3], ",")[[1]]) d[[v]] <- factor(d[[v]])
t0 <- proc.time()[["elapsed"]]
m <- lmer(as.formula(a[2]), d, REML = TRUE)
secs <- proc.time()[["elapsed"]] - t0
cat(toJSON(list(seconds = secs, objective = REMLcrit(m), evaluations = m@optinfo$feval,
                converged = length(m@optinfo$conv$lme4$messages) == 0,
                fixef = as.list(fixef(m)), theta = unname(getME(m, "theta"))),
           auto_unbox = TRUE, digits = NA), "\n")
