package spec

import (
	"slices"
	"strings"
)

// ModelKinds are the accepted values of model.kind: Bayesian logistic
// regression, the Gaussian VAE and the Bernoulli VAE (sigmoid belief net)
// on MNIST. They are the [model] section's schema, which says which keys
// apply to which kind; package train builds each kind.
var ModelKinds = []string{"blr", "vae-gaussian", "vae-bernoulli"}

// BernoulliLayers are the accepted values of model.layers (vae-bernoulli):
// one linear layer each way, or two hidden layers of leaky ReLU.
var BernoulliLayers = []string{"linear", "nonlinear"}

// Model describes a model-training run: a model (kind) whose gradient of an
// expectation comes from each estimator in turn, trained by an optimizer.
// Training specs' profile keys (steps, seeds, eval_every, variance_draws,
// objective_samples) apply to it.
type Model struct {
	Kind         string      `toml:"kind" need:"the kind of model, one of blr, vae-gaussian, vae-bernoulli"` // one of ModelKinds
	Data         string      `toml:"data"`                                                                   // data file, relative to the spec's folder (blr); "" otherwise
	Estimators   []Estimator `toml:"-"`
	Optimizer    string      `toml:"optimizer"` // one of optim.Optimizers
	LearningRate float64     `toml:"learning_rate" need:"the optimizer's step size (> 0)"`
	Schedule     string      `toml:"schedule"`                                                              // one of optim.Schedules
	Steps        int         `toml:"steps" range:"1,1000000000" need:"the number of optimizer steps (≥ 1)"` // optimizer steps
	Batch        int         `toml:"batch" range:"1,100000"`                                                // examples per step
	N            int         `toml:"n" range:"1,1000000"`                                                   // samples per gradient estimate (per example for the VAE)
	InitSigma    float64     `toml:"init_sigma"`
	EvalEvery    int         `toml:"eval_every" range:"1,1000000000"` // record a curve point every EvalEvery steps (and at 0 and Steps)
	// VarianceDraws is the number of extra estimates per evaluation used
	// to measure the gradient variance (0: not measured).
	VarianceDraws int `toml:"variance_draws" range:"0,1000000"`
	// ObjectiveSamples sizes the evaluation: posterior samples of the
	// full-data ELBO (blr), or importance samples of the held-out bound
	// (vae).
	ObjectiveSamples int `toml:"objective_samples" range:"1,10000000"`
	Seeds            int `toml:"seeds" range:"1,10000"`
	Hidden           int `toml:"hidden" range:"1,10000"`       // VAE: hidden units per layer
	Latent           int `toml:"latent" range:"1,10000"`       // VAE: latent dimension
	TrainImages      int `toml:"train_images" range:"1,60000"` // VAE: training images on which the ELBO is evaluated
	TestImages       int `toml:"test_images" range:"1,10000"`  // VAE: held-out images of the importance-weighted bound
	// FinalTestImages, if > 0, is the number of test images (10000: the
	// whole test set) of the bound recorded once more, as test_iw_full, at
	// the last step (vae-bernoulli).
	FinalTestImages int `toml:"final_test_images" range:"0,10000"`
	// Layers is "linear" or "nonlinear" (vae-bernoulli; "" otherwise).
	Layers string `toml:"layers"`
	// PriorLearningRate is the SGD step size of the prior's logits
	// (vae-bernoulli; 0 otherwise).
	PriorLearningRate float64 `toml:"prior_learning_rate"`
	// VarianceData is what the gradient variance of blr is measured on:
	// "full" (the full-data log-likelihood, as the reference implementation
	// does; the default) or "minibatch" (one minibatch shared by the
	// estimators of a seed). "" for the VAEs.
	VarianceData string `toml:"variance_data"`
	// ProbeDraws, if > 0, makes the experiment compare every estimator at
	// shared parameters (vae-bernoulli): only the first estimator's runs
	// train (the reference trajectory), and at each of their evaluations
	// every estimator's encoder-gradient variance is measured with
	// ProbeDraws draws on one minibatch shared by all of them.
	ProbeDraws int `toml:"probe_draws" range:"0,1000000"`
	// DemeanInput feeds the encoder x − (the training pixel means) and the
	// decoder 2b − 1 (vae-bernoulli; default true, as the reference
	// implementation's --demean_input).
	DemeanInput bool `toml:"demean_input"`
	// DecoderBias is the initial output bias of the decoder: "data-mean"
	// (the logits of the clipped training pixel means, the reference's
	// --initialize_with_bias; the default) or "zero" (vae-bernoulli).
	DecoderBias string `toml:"decoder_bias"`
	// TrainSplit is the number of MNIST training images trained on (the
	// first ones; the reference's 50000, the rest being its validation set)
	// (vae-bernoulli; 0 otherwise).
	TrainSplit int `toml:"train_split" range:"1,60000"`
	// Checkpoint says how often each run saves a checkpoint.
	Checkpoint Checkpoint `toml:"-"`
}

// ProbeBlocks is the number of independent blocks a probe's draws are split
// into for the confidence interval of the variance.
const ProbeBlocks = 10

// DecoderBiases are the accepted values of model.decoder_bias.
var DecoderBiases = []string{"data-mean", "zero"}

type modelDoc struct {
	Model
	Checkpoint
	Estimators value `toml:"estimators"`
}

func newModelDoc() *modelDoc {
	return &modelDoc{Model: Model{Optimizer: "sgd", Schedule: "constant", Batch: 32, N: 1, InitSigma: 1,
		ObjectiveSamples: 1000, Seeds: 1, Hidden: 200, Latent: 20, TrainImages: 1000, TestImages: 1000,
		Layers: "linear", PriorLearningRate: 1e-2, VarianceData: "full", DemeanInput: true,
		DecoderBias: "data-mean", TrainSplit: 50000}, Checkpoint: Checkpoint{Seconds: DefaultCheckpointSeconds}}
}

func (p *parser) model(d *modelDoc) *Model {
	m := &d.Model
	p.oneOf("model.kind", m.Kind, ModelKinds)
	vae := strings.HasPrefix(m.Kind, "vae-")
	switch {
	case m.Kind == "blr" && m.Data == "":
		p.fail("model.data", "missing: the data file of kind blr (relative to the spec's folder)")
	case vae && m.Data != "":
		p.fail("model.data", "kind %s reads MNIST from the GoMNIST module (or $GRADBENCH_MNIST): remove data", m.Kind)
	}
	m.Estimators = p.estimators(d.Estimators, "model", true)
	p.optimization("model", m.Optimizer, m.LearningRate, m.Schedule)
	if !(m.InitSigma > 0) || m.InitSigma > 1e6 {
		p.fail("model.init_sigma", "%v: want a number in (0, 1e6]", m.InitSigma)
	}
	if !p.md.IsDefined("model", "eval_every") {
		m.EvalEvery = max(m.Steps/20, 1)
	}
	m.Checkpoint = p.checkpoint(d.Checkpoint, "model")
	p.varianceDraws(m.VarianceDraws, "model.variance_draws")
	if !vae {
		p.only("model", "applies to kinds vae-gaussian and vae-bernoulli only", "hidden", "latent", "train_images", "test_images", "final_test_images")
		p.oneOf("model.variance_data", m.VarianceData, []string{"full", "minibatch"})
	} else {
		p.only("model", "applies to kind blr only", "variance_data")
		m.VarianceData = ""
	}
	if m.Kind != "vae-bernoulli" {
		p.only("model", "applies to kind vae-bernoulli only", "layers", "prior_learning_rate", "demean_input", "decoder_bias", "train_split", "probe_draws")
		m.Layers, m.PriorLearningRate, m.DemeanInput, m.DecoderBias, m.TrainSplit = "", 0, false, "", 0
		return m
	}
	p.oneOf("model.layers", m.Layers, BernoulliLayers)
	if !(m.PriorLearningRate >= 0) || m.PriorLearningRate > 1e3 {
		p.fail("model.prior_learning_rate", "%v: want a number in [0, 1000] (0: the prior stays fixed)", m.PriorLearningRate)
	}
	p.oneOf("model.decoder_bias", m.DecoderBias, DecoderBiases)
	if m.ProbeDraws > 0 && m.ProbeDraws < ProbeBlocks*2 {
		p.fail("model.probe_draws", "%d: want 0 (no probes) or at least %d (%d blocks of 2 or more draws)", m.ProbeDraws, 2*ProbeBlocks, ProbeBlocks)
	}
	return m
}

// only records an error for the first of keys that section sets.
func (p *parser) only(section, msg string, keys ...string) {
	if i := slices.IndexFunc(keys, func(k string) bool { return p.md.IsDefined(section, k) }); i >= 0 {
		p.fail(section+"."+keys[i], "%s", msg)
	}
}
