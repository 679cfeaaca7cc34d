# lme4's anova (ML refit) and pbkrtest's PBmodcomp for nested models, as JSON.
# usage: Rscript inference_pbmodcomp.R CSV FACTORS SMALL_FORMULA BIG_FORMULA NSIM SEED OUT.json
suppressMessages({library(lme4); library(pbkrtest); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
for (v in if (nchar(a[2])) strsplit(a[2], ",")[[1]] else character(0)) d[[v]] <- factor(d[[v]])
small <- lmer(as.formula(a[3]), d, REML = FALSE); big <- lmer(as.formula(a[4]), d, REML = FALSE)
av <- anova(small, big)
set.seed(as.integer(a[6]))
t0 <- proc.time()[["elapsed"]]
pb <- PBmodcomp(big, small, nsim = as.integer(a[5]))
secs <- proc.time()[["elapsed"]] - t0
tab <- pb$test
out <- list(chisq = av$Chisq[2], df = av$Df[2], p_chisq = av[["Pr(>Chisq)"]][2],
            lrt = tab["LRT", "stat"], p_lrt = tab["LRT", "p.value"], p_boot = tab["PBtest", "p.value"],
            nsim = as.integer(a[5]), seconds = secs)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA), a[7])
