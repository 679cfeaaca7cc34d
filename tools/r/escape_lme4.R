# lme4's optimum for two sweep cases (tests/reference/sweep/) where lme4 on the data as stored stops short
# (it warns), fitted with x / s (the same model) by three optimizers; the best is converted back to x's units.
# usage: Rscript tools/r/escape_lme4.R   (writes tests/reference/escape/*_rescaled.json)
# - lmm007_slopes (ML, s = 100): our fit needs the bound escape (the restart) to reach it.
# - lmm017_two_slopes (REML, s = 10): our fit needs the fine restart to reach it. The REML criterion is not
#   invariant to the scale of a column of X: log|R_X|^2 changes by -2 log(s), so `objective` adds 2 log(s).
# theta: the entries in x's row of T are divided by s; fixef and se of x too.
suppressMessages({library(lme4); library(jsonlite)})
optimizers <- c("nloptwrap", "bobyqa", "Nelder_Mead")
one <- function(name, formula, reml, s, x_rows) {
  d <- read.csv(file.path("tests/reference/sweep", paste0(name, ".csv")), stringsAsFactors = TRUE)
  d$g <- factor(d$g)
  d$xs <- d$x / s
  f <- as.formula(gsub("\\bx\\b", "xs", formula, perl = TRUE))
  fits <- lapply(optimizers, function(opt)
    lmer(f, d, REML = reml, control = lmerControl(optimizer = opt, optCtrl = list(maxfun = 1e5))))
  crit <- sapply(fits, function(m) if (reml) REMLcrit(m) else deviance(m))
  m <- fits[[which.min(crit)]]
  shift <- if (reml) 2 * log(s) else 0
  theta <- getME(m, "theta"); theta[x_rows] <- theta[x_rows] / s
  scale_fixef <- ifelse(names(fixef(m)) == "xs", s, 1)
  out <- list(case = name, formula = formula, reml = reml, x_scale = s, optimizers = optimizers,
              objectives = crit + shift, objective = min(crit) + shift, theta = unname(theta),
              fixef = unname(fixef(m) / scale_fixef), se = unname(sqrt(diag(as.matrix(vcov(m)))) / scale_fixef),
              singular = isSingular(m), lme4_version = as.character(packageVersion("lme4")))
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
             file.path("tests/reference/escape", paste0(name, "_rescaled.json")))
}
one("lmm007_slopes", "y ~ x + z + (1 + x | g)", FALSE, 100, c(2, 3))
one("lmm017_two_slopes", "y ~ x + z + (1 + x + z | g)", TRUE, 10, c(2, 4))
