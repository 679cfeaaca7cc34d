# lme4's answers for formulas written as lme4 users write them (see tools/make_formula_references.py).
# usage: Rscript fit_formula_idioms.R DATA_CSV NEWDATA_CSV CASES_TSV OUT_DIR
# CASES_TSV columns: name, csv (a file next to DATA_CSV, or "" for DATA_CSV), r_formula, reml, factors
# For each case writes OUT_DIR/NAME.json: REML criterion (or -2 logLik for ML), fixef and SEs with lme4's
# names, theta, sigma, VarCorr, ranef names and levels, and predictions for the new data
# (conditional, and re.form = NA), which use the fit's poly()/scale() parameters (R's makepredictcall).
suppressMessages({library(lme4); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
cases <- read.delim(a[3], colClasses = "character", quote = "", na.strings = character(0))
for (i in seq_len(nrow(cases))) {
  cs <- cases[i, ]
  path <- if (nchar(cs$csv)) file.path(dirname(a[1]), paste0(cs$csv, ".csv")) else a[1]
  d <- read.csv(path, stringsAsFactors = FALSE, check.names = FALSE)
  nd <- if (nchar(cs$csv)) NULL else read.csv(a[2], stringsAsFactors = FALSE, check.names = FALSE)
  facs <- if (nchar(cs$factors)) strsplit(cs$factors, ",")[[1]] else character(0)
  for (v in facs) { d[[v]] <- factor(d[[v]]); if (!is.null(nd)) nd[[v]] <- factor(nd[[v]], levels = levels(d[[v]])) }
  messages <- character(0)
  m <- withCallingHandlers(lmer(as.formula(cs$r_formula), d, REML = as.logical(cs$reml)),
    message = function(w) { messages <<- c(messages, conditionMessage(w)); invokeRestart("muffleMessage") },
    warning = function(w) { messages <<- c(messages, conditionMessage(w)); invokeRestart("muffleWarning") })
  vc <- as.data.frame(VarCorr(m))
  re <- as.data.frame(ranef(m, condVar = TRUE))
  out <- list(
    engine = paste0("lme4 ", packageVersion("lme4")), name = cs$name, r_formula = cs$r_formula,
    reml = as.logical(cs$reml), nobs = nobs(m),
    objective = if (as.logical(cs$reml)) REMLcrit(m) else as.numeric(-2 * logLik(m)),
    fixef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    theta = unname(as.numeric(getME(m, "theta"))), sigma = sigma(m),
    varcorr = lapply(seq_len(nrow(vc)), function(j) as.list(vc[j, ])),
    ranef = list(grpvar = as.character(re$grpvar), term = as.character(re$term), grp = as.character(re$grp),
                 condval = re$condval, condsd = re$condsd),
    r_messages = messages)
  if (!is.null(nd)) {
    # lme4's predict() cannot handle non-syntactic column names: then no predictions are stored
    out$predict_conditional <- tryCatch(unname(predict(m, newdata = nd)), error = function(e) NULL)
    out$predict_typical <- tryCatch(unname(predict(m, newdata = nd, re.form = NA)), error = function(e) NULL)
  }
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = FALSE),
             file.path(a[4], paste0(cs$name, ".json")))
}
