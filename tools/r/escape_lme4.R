# lme4's optimum for the sweep case lmm007_slopes (tests/reference/sweep/), fitted with x / 100.
# usage: Rscript tools/r/escape_lme4.R > tests/reference/escape/lmm007_slopes_rescaled.json
# On x as stored, lme4 stops at 1270.72 and warns (max|grad| 1.95, nearly unidentifiable); x / 100 gives the
# same model (b_x = b_x100 / 100), on which three optimizers agree. theta, fixef and se are converted back
# to x's units (the slope's rows of theta and the slope's fixef and se divided by 100).
suppressMessages({library(lme4); library(jsonlite)})
d <- read.csv("tests/reference/sweep/lmm007_slopes.csv", stringsAsFactors = TRUE)
d$g <- factor(d$g)
d$x100 <- d$x / 100
fits <- lapply(c("nloptwrap", "bobyqa", "Nelder_Mead"), function(opt)
  lmer(y ~ x100 + z + (1 + x100 | g), d, REML = FALSE, control = lmerControl(optimizer = opt)))
objectives <- sapply(fits, deviance)
m <- fits[[which.min(objectives)]]
theta <- getME(m, "theta") / c(1, 100, 100)  # (intercept, slope-intercept, slope): the slope's row
fixef <- fixef(m) / c(1, 100, 1)
se <- sqrt(diag(as.matrix(vcov(m)))) / c(1, 100, 1)
cat(toJSON(list(
  case = "lmm007_slopes", formula = "y ~ x + z + (1 + x | g)", reml = FALSE,
  optimizers = c("nloptwrap", "bobyqa", "Nelder_Mead"), objectives = objectives,
  objective = min(objectives), theta = unname(theta), fixef = unname(fixef), se = unname(se),
  singular = isSingular(m), lme4_version = as.character(packageVersion("lme4"))
), digits = NA, auto_unbox = TRUE, pretty = TRUE), "\n")
