# Timing of lme4's profile intervals and parametric bootstrap, for benchmarks/bench_inference.py.
# usage: Rscript bench_inference.R CSV FORMULA FAMILY FACTORS(comma list) REPS NSIM
# Prints JSON: profile_seconds (one per repetition of confint(method = "profile")), boot_seconds (bootMer
# with nsim refits, collecting θ, β and σ as confint's method = "boot" does), and the intervals.
suppressMessages({library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
for (v in if (nchar(a[4])) strsplit(a[4], ",")[[1]] else character(0)) d[[v]] <- factor(d[[v]], ordered = FALSE)
reps <- as.integer(a[5]); nsim <- as.integer(a[6])
m <- if (a[3] == "gaussian") lmer(as.formula(a[2]), d) else glmer(as.formula(a[2]), d, family = a[3])
elapsed <- function(expr) { t0 <- proc.time()[["elapsed"]]; force(expr); proc.time()[["elapsed"]] - t0 }
profile_seconds <- numeric(reps)
for (i in seq_len(reps)) profile_seconds[i] <- elapsed(ci <- suppressWarnings(confint(m, method = "profile", oldNames = FALSE)))
FUN <- function(x) c(getME(x, "theta"), fixef(x), if (isLMM(x)) sigma(x))
boot_seconds <- if (nsim > 0) elapsed(suppressWarnings(bootMer(m, FUN, nsim = nsim, seed = 1))) else NA
cat(toJSON(list(profile_seconds = profile_seconds, boot_seconds = boot_seconds, nsim = nsim,
                names = rownames(ci), lower = unname(ci[, 1]), upper = unname(ci[, 2])),
           auto_unbox = TRUE, digits = NA, na = "null"))
