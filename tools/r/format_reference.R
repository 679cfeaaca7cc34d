# R's own formatting of numeric columns, as the reference for mixedwidgets/results/number_format.py.
# Usage: Rscript tools/r/format_reference.R OUT.json   (base R + jsonlite)
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
set.seed(11)
cases <- list()
for (i in 1:300) {
  n <- sample(1:6, 1)
  scale <- 10^runif(1, -9, 9)
  x <- signif(rnorm(n) * scale * 10^runif(n, -3, 3), sample(1:7, 1))
  if (runif(1) < 0.1) x[1] <- 0
  d <- sample(3:7, 1)
  cases[[length(cases) + 1]] <- list(x = x, digits = d, out = trimws(format(x, digits = d)))
}
fixed <- list(c(612.1, 35.07, 654.94), c(0.09, 1.58), c(24.741, 5.922, 25.592), c(1e-7, 3.2), c(-0.0656))
for (x in fixed) cases[[length(cases) + 1]] <- list(x = x, digits = 4, out = trimws(format(x, digits = 4)))
coefmat <- list()
for (i in 1:100) {
  p <- sample(1:5, 1)
  est <- rnorm(p) * 10^runif(1, -4, 4)
  se <- abs(est) * 10^runif(p, -2, 1)
  tval <- est / se
  pv <- 2 * pnorm(-abs(tval))
  m <- cbind(Estimate = est, `Std. Error` = se, `z value` = tval, `Pr(>|z|)` = pv)
  out <- capture.output(printCoefmat(m, digits = 4, signif.stars = FALSE))
  cells <- lapply(out[-1], function(line) sub("^\\[[0-9]+,\\] +", "", line))
  coefmat[[i]] <- list(est = est, se = se, tval = tval, p = pv, cells = cells)
}
writeLines(toJSON(list(format = cases, coefmat = coefmat), digits = NA, auto_unbox = FALSE), args[1])
