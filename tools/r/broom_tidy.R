# broom.mixed's tidy(conf.int = TRUE) and glance() of one lme4 fit (LMMs through lmerTest, whose Satterthwaite df and
# t intervals broom.mixed then reports), as JSON (reference for m.tidy()/m.glance()).
# usage: Rscript broom_tidy.R CSV FORMULA FAMILY(gaussian|binomial|poisson) REML(TRUE|FALSE) FACTORS(comma list)
suppressMessages({library(lme4); library(lmerTest); library(broom.mixed); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1], stringsAsFactors = TRUE)
f <- as.formula(a[2]); fam <- a[3]; reml <- as.logical(a[4])
facs <- if (nchar(a[5])) strsplit(a[5], ",")[[1]] else character(0)
for (v in facs) d[[v]] <- factor(d[[v]])
m <- if (fam == "gaussian") lmerTest::lmer(f, d, REML = reml) else glmer(f, d, family = fam)  # lmerTest: Satterthwaite df, as our tidy()
td <- as.data.frame(tidy(m, conf.int = TRUE))
gl <- as.data.frame(glance(m))
cat(toJSON(list(tidy = td, glance = gl, broom_mixed = as.character(packageVersion("broom.mixed"))),
           digits = NA, na = "null", dataframe = "columns"))
