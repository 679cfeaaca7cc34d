# R's format.pval (the p-value column of printCoefmat) at 3 to 5 digits, with values below machine epsilon,
# and format() of infinite values: the reference for number_format.format_p_values and format_r's specials.
# Usage: Rscript tools/r/format_pval_reference.R tests/reference/r_format_pval.json   (base R + jsonlite)
library(jsonlite)
args <- commandArgs(trailingOnly = TRUE)
values <- list(c(1e-20, 0.5), c(1e-20, 0.51234), c(1e-20, 0.012345, 0.5), c(1e-20, 1e-20), c(3e-5, 1e-17, 0.2))
pval <- list()
for (d in 3:5) for (v in values) pval[[length(pval) + 1]] <- list(p = v, shown = d, out = format.pval(v, digits = d))
specials <- list(list(x = c(Inf, 2), out = trimws(format(c(Inf, 2)))), list(x = c(-Inf, 2), out = trimws(format(c(-Inf, 2)))))
writeLines(toJSON(list(pval = pval, specials = specials), digits = NA, auto_unbox = FALSE), args[1])
