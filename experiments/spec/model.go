package spec

import (
	"slices"
	"strings"
)

// ModelKinds are the accepted values of model.kind: Bayesian logistic
// regression, the Gaussian VAE and the Bernoulli VAE (sigmoid belief net)
// on MNIST.
var ModelKinds = []string{"blr", "vae-gaussian", "vae-bernoulli"}

// BernoulliLayers are the accepted values of model.layers (vae-bernoulli):
// one linear layer each way, or two hidden layers of leaky ReLU.
var BernoulliLayers = []string{"linear", "nonlinear"}

// Model describes a model-training run: a model (kind) whose gradient of an
// expectation comes from each estimator in turn, trained by an optimizer.
// Training specs' profile keys (steps, seeds, eval_every, variance_draws,
// objective_samples) apply to it.
type Model struct {
	Kind         string // one of ModelKinds
	Data         string // data file, relative to the spec's folder (blr); "" otherwise
	Estimators   []Estimator
	Optimizer    string // "sgd" or "adam"
	LearningRate float64
	Schedule     string // one of Schedules
	Steps        int    // optimizer steps
	Batch        int    // examples per step
	N            int    // samples per gradient estimate (per example for the VAE)
	InitSigma    float64
	EvalEvery    int // record a curve point every EvalEvery steps (and at 0 and Steps)
	// VarianceDraws is the number of extra estimates per evaluation used
	// to measure the gradient variance (0: not measured).
	VarianceDraws int
	// ObjectiveSamples sizes the evaluation: posterior samples of the
	// full-data ELBO (blr), or importance samples of the held-out bound
	// (vae).
	ObjectiveSamples int
	Seeds            int
	Hidden, Latent   int // VAE sizes
	TrainImages      int // VAE: training images on which the ELBO is evaluated
	TestImages       int // VAE: held-out images of the importance-weighted bound
	// FinalTestImages, if > 0, is the number of test images (10000: the
	// whole test set) of the bound recorded once more, as test_iw_full, at
	// the last step (vae-bernoulli).
	FinalTestImages int
	// Layers is "linear" or "nonlinear" (vae-bernoulli; "" otherwise).
	Layers string
	// PriorLearningRate is the SGD step size of the prior's logits
	// (vae-bernoulli; 0 otherwise).
	PriorLearningRate float64
	// VarianceData is what the gradient variance of blr is measured on:
	// "full" (the full-data log-likelihood, as the reference implementation
	// does; the default) or "minibatch" (one minibatch shared by the
	// estimators of a seed). "" for the VAEs.
	VarianceData string
	// ProbeDraws, if > 0, makes the experiment compare every estimator at
	// shared parameters (vae-bernoulli): only the first estimator's runs
	// train (the reference trajectory), and at each of their evaluations
	// every estimator's encoder-gradient variance is measured with
	// ProbeDraws draws on one minibatch shared by all of them.
	ProbeDraws int
	// DemeanInput feeds the encoder x − (the training pixel means) and the
	// decoder 2b − 1 (vae-bernoulli; default true, as the reference
	// implementation's --demean_input).
	DemeanInput bool
	// DecoderBias is the initial output bias of the decoder: "data-mean"
	// (the logits of the clipped training pixel means, the reference's
	// --initialize_with_bias; the default) or "zero" (vae-bernoulli).
	DecoderBias string
	// TrainSplit is the number of MNIST training images trained on (the
	// first ones; the reference's 50000, the rest being its validation set)
	// (vae-bernoulli; 0 otherwise).
	TrainSplit int
	// Checkpoint says how often each run saves a checkpoint.
	Checkpoint Checkpoint
}

// ProbeBlocks is the number of independent blocks a probe's draws are split
// into for the confidence interval of the variance.
const ProbeBlocks = 10

// DecoderBiases are the accepted values of model.decoder_bias.
var DecoderBiases = []string{"data-mean", "zero"}

func (p *parser) model(t map[string]any) (*Model, error) {
	const path = "model"
	if err := p.keys(t, path, "kind", "data", "estimators", "estimator", "options", "optimizer",
		"learning_rate", "schedule", "steps", "batch", "n", "init_sigma", "eval_every", "variance_draws",
		"objective_samples", "seeds", "hidden", "latent", "train_images", "test_images",
		"final_test_images", "layers", "prior_learning_rate", "demean_input", "decoder_bias", "train_split", "variance_data", "probe_draws",
		"checkpoint_every", "checkpoint_seconds"); err != nil {
		return nil, err
	}
	m := &Model{}
	var err error
	if m.Kind, err = p.str(t, path, "kind", ""); err != nil {
		return nil, err
	}
	if !slices.Contains(ModelKinds, m.Kind) {
		return nil, p.errf("model.kind", "%q: want one of %s", m.Kind, strings.Join(ModelKinds, ", "))
	}
	vae := strings.HasPrefix(m.Kind, "vae-")
	if m.Data, err = p.str(t, path, "data", ""); err != nil {
		return nil, err
	}
	switch {
	case m.Kind == "blr" && m.Data == "":
		return nil, p.errf("model.data", "missing: the data file of kind blr (relative to the spec's folder)")
	case vae && m.Data != "":
		return nil, p.errf("model.data", "kind %s reads MNIST from the GoMNIST module (or $GRADBENCH_MNIST): remove data", m.Kind)
	}
	if m.Estimators, err = p.estimators(t, path); err != nil {
		return nil, err
	}
	if m.Optimizer, err = p.str(t, path, "optimizer", "sgd"); err != nil {
		return nil, err
	}
	if !slices.Contains(Optimizers, m.Optimizer) {
		return nil, p.errf("model.optimizer", "%q: want one of %s", m.Optimizer, strings.Join(Optimizers, ", "))
	}
	if _, ok := t["learning_rate"]; !ok {
		return nil, p.errf("model.learning_rate", "missing: the optimizer's step size (> 0)")
	}
	if m.LearningRate, err = p.float(t, path, "learning_rate", 0); err != nil {
		return nil, err
	}
	if !(m.LearningRate > 0) {
		return nil, p.errf("model.learning_rate", "%v: want a number > 0", m.LearningRate)
	}
	if m.Schedule, err = p.str(t, path, "schedule", "constant"); err != nil {
		return nil, err
	}
	if !slices.Contains(Schedules, m.Schedule) {
		return nil, p.errf("model.schedule", "%q: want one of %s", m.Schedule, strings.Join(Schedules, ", "))
	}
	if m.InitSigma, err = p.float(t, path, "init_sigma", 1); err != nil {
		return nil, err
	}
	if !(m.InitSigma > 0) || m.InitSigma > 1e6 {
		return nil, p.errf("model.init_sigma", "%v: want a number in (0, 1e6]", m.InitSigma)
	}
	if _, ok := t["steps"]; !ok {
		return nil, p.errf("model.steps", "missing: the number of optimizer steps (≥ 1)")
	}
	ints := []struct {
		key    string
		dst    *int
		def    int64
		lo, hi int64
	}{
		{"steps", &m.Steps, 0, 1, 1e9},
		{"batch", &m.Batch, 32, 1, 1e5},
		{"n", &m.N, 1, 1, 1e6},
		{"variance_draws", &m.VarianceDraws, 0, 0, 1e6},
		{"objective_samples", &m.ObjectiveSamples, 1000, 1, 1e7},
		{"seeds", &m.Seeds, 1, 1, 10000},
		{"hidden", &m.Hidden, 200, 1, 1e4},
		{"latent", &m.Latent, 20, 1, 1e4},
		{"train_images", &m.TrainImages, 1000, 1, 60000},
		{"test_images", &m.TestImages, 1000, 1, 10000},
		{"final_test_images", &m.FinalTestImages, 0, 0, 10000},
	}
	for _, f := range ints {
		if *f.dst, err = p.integer(t, path, f.key, f.def, f.lo, f.hi); err != nil {
			return nil, err
		}
	}
	if m.EvalEvery, err = p.integer(t, path, "eval_every", int64(max(m.Steps/20, 1)), 1, 1e9); err != nil {
		return nil, err
	}
	if m.Checkpoint, err = p.checkpoint(t, path); err != nil {
		return nil, err
	}
	if m.VarianceDraws == 1 {
		return nil, p.errf("model.variance_draws", "1: want 0 (not measured) or ≥ 2 draws")
	}
	if !vae {
		for _, key := range []string{"hidden", "latent", "train_images", "test_images", "final_test_images"} {
			if _, ok := t[key]; ok {
				return nil, p.errf(join(path, key), "applies to kinds vae-gaussian and vae-bernoulli only")
			}
		}
		if m.VarianceData, err = p.str(t, path, "variance_data", "full"); err != nil {
			return nil, err
		}
		if m.VarianceData != "full" && m.VarianceData != "minibatch" {
			return nil, p.errf("model.variance_data", "%q: want full or minibatch", m.VarianceData)
		}
	} else if _, ok := t["variance_data"]; ok {
		return nil, p.errf(join(path, "variance_data"), "applies to kind blr only")
	}
	if m.Kind == "vae-bernoulli" {
		if m.Layers, err = p.str(t, path, "layers", "linear"); err != nil {
			return nil, err
		}
		if !slices.Contains(BernoulliLayers, m.Layers) {
			return nil, p.errf("model.layers", "%q: want one of %s", m.Layers, strings.Join(BernoulliLayers, ", "))
		}
		if m.PriorLearningRate, err = p.float(t, path, "prior_learning_rate", 1e-2); err != nil {
			return nil, err
		}
		if !(m.PriorLearningRate >= 0) || m.PriorLearningRate > 1e3 {
			return nil, p.errf("model.prior_learning_rate", "%v: want a number in [0, 1000] (0: the prior stays fixed)", m.PriorLearningRate)
		}
		if m.DemeanInput, err = p.boolean(t, path, "demean_input", true); err != nil {
			return nil, err
		}
		if m.DecoderBias, err = p.str(t, path, "decoder_bias", "data-mean"); err != nil {
			return nil, err
		}
		if !slices.Contains(DecoderBiases, m.DecoderBias) {
			return nil, p.errf("model.decoder_bias", "%q: want one of %s", m.DecoderBias, strings.Join(DecoderBiases, ", "))
		}
		if m.TrainSplit, err = p.integer(t, path, "train_split", 50000, 1, 60000); err != nil {
			return nil, err
		}
		if m.ProbeDraws, err = p.integer(t, path, "probe_draws", 0, 0, 1e6); err != nil {
			return nil, err
		}
		if m.ProbeDraws > 0 && m.ProbeDraws < ProbeBlocks*2 {
			return nil, p.errf("model.probe_draws", "%d: want 0 (no probes) or at least %d (%d blocks of 2 or more draws)", m.ProbeDraws, 2*ProbeBlocks, ProbeBlocks)
		}
	} else {
		for _, key := range []string{"layers", "prior_learning_rate", "demean_input", "decoder_bias", "train_split", "probe_draws"} {
			if _, ok := t[key]; ok {
				return nil, p.errf(join(path, key), "applies to kind vae-bernoulli only")
			}
		}
	}
	return m, nil
}

// applyProfile applies the training overrides of pr to m.
func (m *Model) applyProfile(pr Profile) {
	for _, f := range []struct {
		src *int
		dst *int
	}{{pr.Steps, &m.Steps}, {pr.Seeds, &m.Seeds}, {pr.EvalEvery, &m.EvalEvery},
		{pr.VarianceDraws, &m.VarianceDraws}, {pr.ObjectiveSamples, &m.ObjectiveSamples},
		{pr.TrainImages, &m.TrainImages}, {pr.TestImages, &m.TestImages}, {pr.ProbeDraws, &m.ProbeDraws},
		{pr.FinalTestImages, &m.FinalTestImages}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
}
