// Package spectest holds spec texts for tests: a valid spec and a table of
// malformed ones with the error each must give. Some of the errors come
// from package figure's check of [plot] recipes, which a test must link
// (import) to see them.
package spectest

import "strings"

// Good is a valid sweep spec with a profile and a plot recipe.
const Good = `name = "fig2-quadratic"
description = "test"
seed = 1

[sweep]
estimators = ["score", "pathwise", {name = "score", label = "score2"}]
n = [1, 10]
replications = 2000

[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = [0.5, 1.0]

[[sweep.objectives]]
name = "quadratic"
k = { linspace = [-3.0, 3.0, 5] }

[profile.quick]
replications = 200
points = 2
n = [1]

[plot]
recipe = "variance"
x = "obj.k"
log_y = true
`

// BadSpecs are malformed specs, each with the field and line its error must
// name (Line 0: none) and a fragment of its message.
var BadSpecs = []struct {
	Name, Src, Field string
	Line             int
	Msg              string
}{
	{"bad toml", "name = \"x\"\nseed = \n", "seed", 2, "expected value"},
	{"unterminated string", "name = \"x\nseed = 1\n", "name", 1, "newline"},
	{"duplicate key", "name = \"x\"\nname = \"y\"\n", "name", 2, "already"},
	{"unknown top key", "name = \"x\"\nseed = 1\ncolour = 2\n[sweep]\n", "colour", 3, "unknown key"},
	{"missing name", "seed = 1\n", "name", 0, "missing"},
	{"bad name", "name = \"Fig 2\"\nseed = 1\n", "name", 1, "lower-case"},
	{"name wrong type", "name = 3\nseed = 1\n", "name", 1, "want a string"},
	{"missing seed", "name = \"x\"\n", "seed", 0, "missing"},
	{"negative seed", "name = \"x\"\nseed = -1\n", "seed", 2, "non-negative"},
	{"float seed", "name = \"x\"\nseed = 1.5\n", "seed", 2, "non-negative integer"},
	{"neither", "name = \"x\"\nseed = 1\n", "", 0, "[sweep] or a [train]"},
	{"both", "name = \"x\"\nseed = 1\n[sweep]\n[train]\n", "train", 4, "not both"},
	{"sweep not table", "name = \"x\"\nseed = 1\nsweep = 3\n", "sweep", 3, "want a table"},
	{"unknown sweep key", sweepWith("repetitions = 3\n"), "sweep.repetitions", 8, "unknown key"},
	{"unknown estimator", strings.Replace(Base, `"score"`, `"scor"`, 1), "sweep.estimators[0]", 4, `unknown estimator "scor"`},
	{"estimator wrong type", strings.Replace(Base, `["score"]`, `[3]`, 1), "sweep.estimators[0]", 4, "want an estimator name"},
	{"no estimators", strings.Replace(Base, `["score"]`, `[]`, 1), "sweep.estimators", 4, "no estimators"},
	{"option of an estimator without options", strings.Replace(Base, `["score"]`, `[{name = "arm", options = {foo = 1}}]`, 1), "sweep.estimators[0]", 4, "estimator arm takes no options"},
	{"unknown option", strings.Replace(Base, `["score"]`, `[{name = "mvd", options = {coupling = true}}]`, 1), "sweep.estimators[0]", 4, `unknown option "coupling"`},
	{"option wrong type", strings.Replace(Base, `["score"]`, `[{name = "mvd", options = {coupled = [1]}}]`, 1), "sweep.estimators[0].options.coupled", 4, "want a string, number or boolean"},
	{"option not finite", strings.Replace(Base, `["score"]`, `[{name = "gumbel-softmax", options = {tau = inf}}]`, 1), "sweep.estimators[0].options.tau", 4, "finite"},
	{"estimator entry unknown key", strings.Replace(Base, `["score"]`, `[{name = "score", opts = {}}]`, 1), "sweep.estimators[0].opts", 4, "unknown key (known: name, label, options, n)"},
	{"estimator entry without name", strings.Replace(Base, `["score"]`, `[{label = "x"}]`, 1), "sweep.estimators[0].name", 4, "missing estimator name"},
	{"retired options tables", sweepWith("[sweep.options.mvd]\ncoupled = true\n"), "sweep.options", 8, "give an estimator's options in its entry of sweep.estimators, e.g. estimators = ["},
	{"retired estimator tables", sweepWith("[[sweep.estimator]]\nname = \"mvd\"\n"), "sweep.estimator", 8, "list every estimator in sweep.estimators, e.g. estimators = ["},
	{"retired train estimator tables", TrainWith("") + "[[train.estimator]]\nname = \"pathwise\"\n", "train.estimator", 12, "list every estimator in train.estimators"},
	{"duplicate label", strings.Replace(Base, `["score"]`, `["score", "score"]`, 1), "sweep.estimators[1]", 4, "duplicate estimator label"},
	{"duplicate label table", strings.Replace(Base, `["score"]`, `["score", {name = "pathwise", label = "score"}]`, 1), "sweep.estimators[1]", 4, "duplicate"},
	{"unknown distribution", strings.Replace(Base, `"normal"`, `"gauss"`, 1), "sweep.distributions[0].name", 9, `unknown distribution "gauss"`},
	{"unknown objective", strings.Replace(Base, `"quadratic"`, `"cubic"`, 1), "sweep.objectives[0].name", 14, `unknown objective "cubic"`},
	{"unknown dist param", strings.Replace(Base, "mu = 1.0", "m = 1.0", 1), "sweep.distributions[0].m", 10, "unknown key"},
	{"sigma zero", strings.Replace(Base, "sigma = [0.5, 1.0]", "sigma = [0.5, 0.0]", 1), "sweep.distributions[0].sigma", 11, "sigma"},
	{"sigma negative in linspace", strings.Replace(Base, "sigma = [0.5, 1.0]", "sigma = {linspace = [-1.0, 1.0, 3]}", 1), "sweep.distributions[0].sigma", 11, "sigma = -1"},
	{"gamma shape out of range", strings.Replace(Base, "name = \"normal\"\nmu = 1.0\nsigma = [0.5, 1.0]", "name = \"gamma\"\nalpha = [1, -2]", 1), "sweep.distributions[0].alpha", 10, "alpha"},
	{"nan", strings.Replace(Base, "mu = 1.0", "mu = nan", 1), "sweep.distributions[0].mu", 10, "finite"},
	{"inf objective", strings.Replace(Base, "k = { linspace = [-3.0, 3.0, 5] }", "k = inf", 1), "sweep.objectives[0].k", 15, "finite"},
	{"param wrong type", strings.Replace(Base, "mu = 1.0", "mu = \"one\"", 1), "sweep.distributions[0].mu", 10, "want a number"},
	{"empty grid", strings.Replace(Base, "sigma = [0.5, 1.0]", "sigma = []", 1), "sweep.distributions[0].sigma", 11, "empty"},
	{"zero-point linspace", strings.Replace(Base, "[-3.0, 3.0, 5]", "[-3.0, 3.0, 0]", 1), "sweep.objectives[0].k.linspace", 15, "points"},
	{"linspace wrong arity", strings.Replace(Base, "[-3.0, 3.0, 5]", "[-3.0, 3.0]", 1), "sweep.objectives[0].k.linspace", 15, "[start, end, points]"},
	{"unknown grid kind", strings.Replace(Base, "linspace", "range", 1), "sweep.objectives[0].k.range", 15, "unknown grid kind"},
	{"logspace non-positive", strings.Replace(Base, "linspace = [-3.0, 3.0, 5]", "logspace = [0.0, 3.0, 5]", 1), "sweep.objectives[0].k.logspace", 15, "not exponents"},
	{"n zero", strings.Replace(Base, "n = [1]", "n = [0]", 1), "sweep.n", 5, "≥ 1"},
	{"n empty", strings.Replace(Base, "n = [1]", "n = []", 1), "sweep.n", 5, "empty"},
	{"n float", strings.Replace(Base, "n = [1]", "n = [1.5]", 1), "sweep.n", 5, "integer"},
	{"R one", strings.Replace(Base, "replications = 100", "replications = 1", 1), "sweep.replications", 6, "≥ 2"},
	{"R missing", strings.Replace(Base, "replications = 100\n", "", 1), "sweep.replications", 3, "missing"},
	{"block zero", sweepWith("block = 0\n"), "sweep.block", 8, "≥ 1"},
	{"unknown reference", sweepWith("reference = \"exact\"\n"), "sweep.reference", 8, `unknown reference method "exact"`},
	{"unknown sampling scheme", sweepWith("sampling = [\"iid\", \"sobol\"]\n"), "sweep.sampling[1]", 8, `"sobol": want one of iid, antithetic, rqmc`},
	{"sampling scheme twice", sweepWith("sampling = [\"rqmc\", \"rqmc\"]\n"), "sweep.sampling[1]", 8, `"rqmc" listed twice`},
	{"sampling not a list", sweepWith("sampling = \"rqmc\"\n"), "sweep.sampling", 8, `want an array`},
	{"no distributions", strings.Replace(Base, "[[sweep.distributions]]\nname = \"normal\"\nmu = 1.0\nsigma = [0.5, 1.0]\n", "", 1), "sweep.distributions", 3, "missing"},
	{"missing dist name", strings.Replace(Base, "name = \"normal\"\n", "", 1), "sweep.distributions[0].name", 8, "missing name"},
	{"absurd cells", strings.Replace(strings.Replace(Base, "[-3.0, 3.0, 5]", "[-3.0, 3.0, 100000]", 1), "[0.5, 1.0]", "{linspace = [0.5, 1.0, 100]}", 1), "sweep", 3, "cells"},
	{"absurd samples", strings.Replace(Base, "replications = 100", "replications = 1000000000000", 1), "sweep.replications", 6, "samples"},
	{"categorical k not integer", strings.Replace(Base, "name = \"normal\"\nmu = 1.0\nsigma = [0.5, 1.0]", "name = \"categorical\"\nk = [2, 2.5]", 1), "sweep.distributions[0].k", 10, "integer"},
	{"mvn dim zero", strings.Replace(strings.Replace(Base, "mu = 1.0", "dim = {linspace = [0, 4, 5]}", 1), "\"normal\"", "\"mvn\"", 1), "sweep.distributions[0].dim", 10, "dim = 0"},
	{"poisson rate", strings.Replace(Base, "name = \"normal\"\nmu = 1.0\nsigma = [0.5, 1.0]", "name = \"poisson\"\nlambda = -1", 1), "sweep.distributions[0].lambda", 10, "lambda = -1"},
	{"integer param", strings.Replace(Base, "name = \"quadratic\"\nk = { linspace = [-3.0, 3.0, 5] }", "name = \"table\"\nsize = 2.5", 1), "sweep.objectives[0].size", 15, "integer"},
	{"unknown profile key", Base + "[profile.quick]\nreplicas = 3\n", "profile.quick.replicas", 17, "unknown key"},
	{"profile bad R", Base + "[profile.quick]\nreplications = 1\n", "profile.quick.replications", 17, "≥ 2"},
	{"plot unknown key", Base + "[plot]\nrecipe = \"variance\"\ncolour = \"red\"\n", "plot.colour", 18, "unknown key"},
	{"plot missing recipe", Base + "[plot]\nx = \"obj.k\"\n", "plot.recipe", 16, "missing"},
	{"plot wrong type", Base + "[plot]\nrecipe = \"variance\"\nlog_y = 1\n", "plot.log_y", 18, "true or false"},
	{"plot params not components", Base + "[plot]\nrecipe = \"variance\"\nx = \"obj.k\"\nparams = [\"mu\", \"tau\"]\n", "plot.params[1]", 19, `"tau": not a gradient component`},
	{"plot unknown exact", Base + "[plot]\nrecipe = \"variance\"\nx = \"obj.k\"\nexact = \"closed\"\n", "plot.exact", 19, "want one of persample"},
	// Checked by package figure (RegisterCheck), which the tests link.
	{"plot unknown recipe", Base + "[plot]\nrecipe = \"pie\"\nx = \"obj.k\"\n", "plot.recipe", 17, `unknown plot recipe "pie"`},
	{"plot unknown x", Base + "[plot]\nrecipe = \"variance\"\nx = \"obj.q\"\n", "plot.x", 18, `"obj.q": not a column`},
	{"plot unknown metric", Base + "[plot]\nrecipe = \"variance\"\nx = \"obj.k\"\nmetric = \"median\"\n", "plot.metric", 19, `unknown plot metric "median"`},
	{"plot in a model spec", ModelWith("[plot]\nrecipe = \"curves\"\n"), "plot", 9, "remove [plot]"},
	{"key in the wrong case", strings.Replace(Base, "replications = 100", "Replications = 100", 1), "sweep.Replications", 6, "unknown key in [sweep]"},
	{"train unknown optimizer", TrainWith("optimizer = \"rmsprop\"\n"), "train.optimizer", 7, "want one of"},
	{"train missing steps", strings.Replace(TrainWith(""), "steps = 10\n", "", 1), "train.steps", 3, "missing"},
	{"train lr zero", strings.Replace(TrainWith(""), "learning_rate = 0.1", "learning_rate = 0.0", 1), "train.learning_rate", 5, "> 0"},
	{"train grid", strings.Replace(TrainWith(""), "mu = 1.0", "mu = [1.0, 2.0]", 1), "train.distribution.mu", 9, "one value"},
	{"train bad sigma", strings.Replace(TrainWith(""), "mu = 1.0", "sigma = -1.0", 1), "train.distribution.sigma", 9, "sigma"},
	{"train missing objective", strings.Replace(TrainWith(""), "[train.objective]\nname = \"quadratic\"\n", "", 1), "train.objective", 3, "missing"},
	{"train momentum with adam", TrainWith("optimizer = \"adam\"\nmomentum = 0.5\n"), "train.momentum", 8, "sgd"},
	{"train log param unknown", TrainWith("log_params = [\"tau\"]\n"), "train.log_params[0]", 7, "has parameters"},
	{"train log param not positive", strings.Replace(TrainWith("log_params = [\"mu\"]\n"), "mu = 1.0", "mu = -1.0", 1), "train.log_params[0]", 7, "must be > 0"},
	{"train log params wrong type", TrainWith("log_params = \"sigma\"\n"), "train.log_params", 7, "want an array"},
	{"train profile sweep key", TrainWith("") + "[profile.quick]\nreplications = 3\n", "profile.quick.replications", 13, "unknown key"},
	{"model and train", TrainWith("") + "[model]\nkind = \"blr\"\n", "model", 12, "one of"},
	{"model bad kind", strings.Replace(ModelWith(""), "kind = \"blr\"", "kind = \"mlp\"", 1), "model.kind", 4, "want one of"},
	{"model unknown key", ModelWith("colour = 1\n"), "model.colour", 9, "unknown key"},
	{"model blr without data", strings.Replace(ModelWith(""), "data = \"d.csv\"\n", "", 1), "model.data", 3, "missing"},
	{"model missing steps", strings.Replace(ModelWith(""), "steps = 10\n", "", 1), "model.steps", 3, "missing"},
	{"model lr negative", strings.Replace(ModelWith(""), "learning_rate = 0.001", "learning_rate = -1.0", 1), "model.learning_rate", 6, "> 0"},
	{"model bad estimator", strings.Replace(ModelWith(""), "\"pathwise\"", "\"nope\"", 1), "model.estimators[0]", 5, "unknown estimator"},
	{"model batch zero", ModelWith("batch = 0\n"), "model.batch", 9, "≥ 1"},
	{"model vae key on blr", ModelWith("hidden = 10\n"), "model.hidden", 9, "vae-gaussian and vae-bernoulli only"},
	{"model layers on blr", ModelWith("layers = \"linear\"\n"), "model.layers", 9, "vae-bernoulli only"},
	{"model bad layers", bernoulli("layers = \"deep\"\n"), "model.layers", 8, "want one of"},
	{"model prior lr negative", bernoulli("prior_learning_rate = -0.1\n"), "model.prior_learning_rate", 8, "[0, 1000]"},
	{"model estimator n zero", strings.Replace(ModelWith(""), "[\"pathwise\"]", "[{name = \"pathwise\", n = 0}]", 1), "model.estimators[0].n", 5, "≥ 1"},
	{"sweep estimator n", strings.Replace(Base, "[\"score\"]", "[{name = \"score\", n = 2}]", 1), "sweep.estimators[0].n", 4, "[model] sections only"},
	{"model vae with data", strings.Replace(ModelWith(""), "kind = \"blr\"", "kind = \"vae-gaussian\"", 1), "model.data", 8, "GoMNIST"},
	{"model variance draws one", ModelWith("variance_draws = 1\n"), "model.variance_draws", 9, "≥ 2"},
	{"model bad schedule", ModelWith("schedule = \"linear\"\n"), "model.schedule", 9, "want one of"},
	{"model profile sweep key", ModelWith("") + "[profile.quick]\nreplications = 3\n", "profile.quick.replications", 10, "unknown key"},
}

// ModelBase is a small valid model spec that the bad specs alter.
const ModelBase = `name = "bad"
seed = 1
[model]
kind = "blr"
estimators = ["pathwise"]
learning_rate = 0.001
steps = 10
data = "d.csv"
`

// bernoulli is ModelWith for kind vae-bernoulli (without data; lines
// from 8).
func bernoulli(lines string) string {
	s := strings.Replace(ModelBase, "kind = \"blr\"", "kind = \"vae-bernoulli\"", 1)
	return strings.Replace(s, "data = \"d.csv\"\n", "", 1) + lines
}

// ModelWith appends lines to the [model] table of ModelBase (from line 9).
func ModelWith(lines string) string { return ModelBase + lines }

// Base is a small valid sweep spec that the bad specs alter.
const Base = `name = "bad"
seed = 1
[sweep]
estimators = ["score"]
n = [1]
replications = 100

[[sweep.distributions]]
name = "normal"
mu = 1.0
sigma = [0.5, 1.0]

[[sweep.objectives]]
name = "quadratic"
k = { linspace = [-3.0, 3.0, 5] }
`

// sweepWith inserts lines into the [sweep] table of Base (at line 8).
func sweepWith(lines string) string {
	return strings.Replace(Base, "replications = 100\n\n", "replications = 100\n\n"+lines, 1)
}

// TrainWith returns a valid training spec with lines added to its [train]
// table (at line 7).
func TrainWith(lines string) string {
	return `name = "bad"
seed = 1
[train]
estimators = ["score"]
learning_rate = 0.1
steps = 10
` + lines + `[train.distribution]
name = "normal"
mu = 1.0
[train.objective]
name = "quadratic"
`
}
