package reference

// ExactCurves are the names by which a plot recipe (the exact key of a
// spec's [plot] section) asks for exact variance curves: "persample", the
// variance of a one-sample estimate divided by n (PerSampleVariance for
// the univariate normal, MVNPerSampleVariance per component for the
// diagonal one), and "normal-persample", its earlier name.
var ExactCurves = []string{"persample", "normal-persample"}
