# Degrees-of-freedom oracle: lmerTest 3.1 (Satterthwaite) and pbkrtest (Kenward-Roger) answers as JSON.
# usage: Rscript ddf_lmertest.R CSV FORMULA REML(TRUE|FALSE) FACTORS(comma list) [REPS]
# Prints: coefficient tables (Satterthwaite; Kenward-Roger for REML fits), anova types III and I with both
# methods, lmerTest's vcov of (theta, sigma), and the time of summary() (Satterthwaite) per model.
suppressMessages({library(lmerTest); library(pbkrtest); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
f <- as.formula(a[2]); reml <- as.logical(a[3])
facs <- if (length(a) >= 4 && nchar(a[4])) strsplit(a[4], ",")[[1]] else character(0)
for (v in facs) d[[v]] <- factor(d[[v]])
reps <- if (length(a) >= 5) as.integer(a[5]) else 0L
m <- lmer(f, d, REML = reml)
coefs <- function(ddf) {
  tab <- as.data.frame(summary(m, ddf = ddf)$coefficients)
  list(names = rownames(tab), estimate = tab[["Estimate"]], std_error = tab[["Std. Error"]], df = tab[["df"]],
       t_value = tab[["t value"]], p_value = tab[["Pr(>|t|)"]])
}
anovas <- function(type, ddf) {
  tab <- as.data.frame(anova(m, type = type, ddf = ddf))
  list(terms = rownames(tab), sum_sq = tab[["Sum Sq"]], mean_sq = tab[["Mean Sq"]], num_df = tab[["NumDF"]],
       den_df = tab[["DenDF"]], f_value = tab[["F value"]], p_value = tab[["Pr(>F)"]])
}
out <- list(engine = paste0("lmerTest ", packageVersion("lmerTest"), ", pbkrtest ", packageVersion("pbkrtest"),
                            ", lme4 ", packageVersion("lme4")),
            formula = a[2], reml = reml, factors = facs,
            theta = unname(getME(m, "theta")), sigma = sigma(m),
            vcov_varpar = m@vcov_varpar,
            satterthwaite = coefs("Satterthwaite"),
            anova_satterthwaite_3 = anovas("III", "Satterthwaite"),
            anova_satterthwaite_1 = anovas("I", "Satterthwaite"))
if (reml) {
  out$kenward_roger <- coefs("Kenward-Roger")
  out$anova_kenward_roger_3 <- anovas("III", "Kenward-Roger")
  out$anova_kenward_roger_1 <- anovas("I", "Kenward-Roger")
}
if (reps > 0) {
  times <- numeric(reps)
  for (i in seq_len(reps)) { t0 <- proc.time()[["elapsed"]]; s <- summary(m); times[i] <- proc.time()[["elapsed"]] - t0 }
  out$summary_seconds_median <- median(times)
  times <- numeric(reps)
  for (i in seq_len(reps)) { t0 <- proc.time()[["elapsed"]]; mm <- as_lmerModLmerTest(m); times[i] <- proc.time()[["elapsed"]] - t0 }
  out$as_lmerModLT_seconds_median <- median(times)
}
cat(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE))
