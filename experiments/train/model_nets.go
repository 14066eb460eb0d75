package train

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
	"github.com/gradbench/gradbench/experiments/models/blr"
	"github.com/gradbench/gradbench/experiments/models/bvae"
	"github.com/gradbench/gradbench/experiments/models/mnist"
	"github.com/gradbench/gradbench/experiments/models/vae"
	"github.com/gradbench/gradbench/experiments/optim"
	"github.com/gradbench/gradbench/experiments/spec"
	"github.com/gradbench/gradbench/experiments/stats"
	"github.com/gradbench/gradbench/experiments/store"
	"gonum.org/v1/gonum/stat/distuv"
)

// prepareModel validates a [model] spec and loads its data: Bayesian
// logistic regression (package blr), the Gaussian VAE (package vae) or the
// Bernoulli VAE (package bvae) on MNIST. The curve's objective is the
// full-data ELBO for blr and the held-out importance-weighted bound for the
// VAEs; metrics.csv has every measured metric.
func prepareModel(s *spec.Spec) (*Experiment, error) {
	m := s.Model
	fail := func(format string, args ...any) (*Experiment, error) {
		return nil, fmt.Errorf("train: %s: %s", s.Name, fmt.Sprintf(format, args...))
	}
	if _, err := optim.New(m.Optimizer, 0); err != nil {
		return fail("%v", err)
	}
	if _, err := optim.NewSchedule(m.Schedule, m.LearningRate, m.Steps); err != nil {
		return fail("%v", err)
	}
	if m.EvalEvery < 1 {
		return fail("eval_every = %d, want ≥ 1", m.EvalEvery)
	}
	ids, err := runs(s.Name, m.Estimators, m.Seeds)
	if err != nil {
		return nil, err
	}
	x := &Experiment{Spec: s, Kind: store.KindModel, Runs: ids, steps: m.Steps, evalEvery: m.EvalEvery,
		checkpoint: m.Checkpoint,
		summary:    fmt.Sprintf("%s model, %d estimators × %d seeds × %d steps", m.Kind, len(m.Estimators), m.Seeds, m.Steps)}
	// family and objective are a representative of each image's (or the
	// minibatch's) expectation, to check every estimator applies.
	var family dist.Distribution
	var f objective.Objective
	switch m.Kind {
	case "blr":
		path := m.Data
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(s.File), path)
		}
		d, err := blr.LoadCSV(path)
		if err != nil {
			return fail("%v", err)
		}
		if m.Batch > d.N {
			return fail("batch %d: the data has %d examples", m.Batch, d.N)
		}
		x.newModel = func(e spec.Estimator, seed int) (Model, error) { return newBLRModel(m, d, e) }
		t, err := blr.NewTrainer(d, m.Batch, m.N, m.InitSigma)
		if err != nil {
			return fail("%v", err)
		}
		family, f = t.Posterior(), t.NextBatch(rand.New(rand.NewPCG(1, 2)))
	case "vae-gaussian", "vae-bernoulli":
		tr, te, err := mnist.LoadDefault()
		if err != nil {
			return fail("%v", err)
		}
		if m.Batch > tr.Len() {
			return fail("batch %d: MNIST has %d training images", m.Batch, tr.Len())
		}
		img := make([]float64, mnist.Pixels)
		if m.Kind == "vae-gaussian" {
			x.newModel = func(e spec.Estimator, seed int) (Model, error) {
				return newVAEModel(m, tr, te, e, initRNG(s.Seed, seed))
			}
			mod, err := vae.New(vae.Config{Hidden: m.Hidden, Latent: m.Latent, Batch: m.Batch, Samples: m.N}, rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				return fail("%v", err)
			}
			family = &dist.MVNDiag{Mu: make([]float64, m.Latent), Sigma: ones(m.Latent)}
			f = mod.Objective(img)
		} else {
			// The training split: the first train_split images, and their
			// pixel means (the reference's dataset mean).
			P := mnist.Pixels
			split := &mnist.Set{X: tr.X[:m.TrainSplit*P], Labels: tr.Labels[:m.TrainSplit]}
			if m.Batch > split.Len() {
				return fail("batch %d: the training split has %d images", m.Batch, split.Len())
			}
			mean := make([]float64, P)
			for i := range split.Len() {
				for j, v := range split.Image(i) {
					mean[j] += v
				}
			}
			for j := range mean {
				mean[j] /= float64(split.Len())
			}
			x.newModel = func(e spec.Estimator, seed int) (Model, error) {
				return newBVAEModel(m, split, te, mean, e, initRNG(s.Seed, seed))
			}
			mod, err := bvae.New(bvaeConfig(m, mean, m.N), rand.New(rand.NewPCG(1, 2)))
			if err != nil {
				return fail("%v", err)
			}
			family = &dist.BernoulliVec{Logits: make([]float64, m.Latent)}
			f = mod.Objective(img)
		}
	default:
		return fail("unknown model kind %q", m.Kind)
	}
	for _, e := range m.Estimators {
		est, _ := estimators.New(e.Name, e.Options)
		if err := estimators.Check(est.Info(), family, f, samples(m, e)); err != nil {
			return fail("estimator %s: %v", e.Label, err)
		}
		if m.ProbeDraws > 0 {
			x.probes = append(x.probes, probe{label: e.Label, name: e.Name, opts: e.Options, n: samples(m, e)})
		}
	}
	x.probeDraws = m.ProbeDraws
	if m.ProbeDraws > 0 {
		// A probe experiment trains the reference trajectory only: the
		// first estimator's runs; the others are measured along it.
		x.Runs = x.Runs[:m.Seeds]
		x.summary = fmt.Sprintf("%s model, the %s trajectory (%d seeds × %d steps) probed by %d estimators",
			m.Kind, m.Estimators[0].Label, m.Seeds, m.Steps, len(m.Estimators))
	}
	return x, nil
}

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// samples returns the estimator's samples per estimate: its own n if the
// spec gives one, else model.n.
func samples(m *spec.Model, e spec.Estimator) int {
	if e.N > 0 {
		return e.N
	}
	return m.N
}

// optimizerGroup returns the group of the networks' (or the posterior's)
// parameters: the spec's optimizer and schedule.
func optimizerGroup(m *spec.Model, name string, params, grad []float64) (Group, error) {
	opt, err := optim.New(m.Optimizer, 0)
	if err != nil {
		return Group{}, err
	}
	sched, err := optim.NewSchedule(m.Schedule, m.LearningRate, m.Steps)
	if err != nil {
		return Group{}, err
	}
	return Group{Name: name, Params: params, Grad: grad, Optimizer: opt, Schedule: sched}, nil
}

// gobState encodes v (a model's state) with encoding/gob.
func gobState(v any) ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(v)
	return buf.Bytes(), err
}

// blrModel is Bayesian logistic regression (Mohamed et al. 2020, §8.3):
// the posterior q(w) = N(μ, diag(s²)) fitted on minibatches.
type blrModel struct {
	spec  *spec.Model
	d     *blr.Data
	tr    *blr.Trainer
	group Group
}

func newBLRModel(m *spec.Model, d *blr.Data, e spec.Estimator) (*blrModel, error) {
	tr, err := blr.NewTrainer(d, m.Batch, samples(m, e), m.InitSigma)
	if err != nil {
		return nil, err
	}
	g, err := optimizerGroup(m, "posterior", tr.Params, tr.Grad)
	if err != nil {
		return nil, err
	}
	return &blrModel{spec: m, d: d, tr: tr, group: g}, nil
}

func (b *blrModel) Groups() []Group { return []Group{b.group} }

func (b *blrModel) Step(est estimators.Estimator, r *Streams) (estimators.Cost, float64, error) {
	c, err := b.tr.Step(est, r.Estimator, r.Data)
	return c, math.NaN(), err
}

func (b *blrModel) Update() error { return nil }

// Evaluate records elbo (full data, objective_samples posterior samples),
// elbo_se, accuracy (averaged over those posterior samples) and, with
// variance_draws ≥ 2, var_mu and var_logs of the full-data gradient
// (variance_data = "full") or of one minibatch's, shared by every estimator
// of the seed.
func (b *blrModel) Evaluate(est estimators.Estimator, r *Streams) (Evaluation, error) {
	mu, sd := b.tr.MuS()
	elbo, se, acc := blr.Evaluate(b.d, mu, sd, b.spec.ObjectiveSamples, r.Eval)
	ev := Evaluation{Objective: elbo, ObjectiveSE: se, ObjectiveMethod: MethodMonteCarlo, GradVariance: math.NaN(),
		Metrics: []store.KV{{Name: "elbo", Value: elbo}, {Name: "elbo_se", Value: se}, {Name: "accuracy", Value: acc}}}
	if b.spec.VarianceDraws >= 2 {
		batches := r.VarianceData
		if b.spec.VarianceData == "full" {
			batches = nil
		}
		vm, vl, nf, err := b.tr.GradVariance(est, b.spec.VarianceDraws, batches, r.Variance)
		if err != nil {
			return ev, err
		}
		ev.GradVariance, ev.GradNonfinite = (vm+vl)/2, nf
		ev.Metrics = append(ev.Metrics, store.KV{Name: "var_mu", Value: vm}, store.KV{Name: "var_logs", Value: vl})
	}
	return ev, nil
}

type blrState struct {
	Perm []int
	Pos  int
}

func (b *blrModel) MarshalBinary() ([]byte, error) {
	perm, pos := b.tr.Order()
	return gobState(blrState{perm, pos})
}

func (b *blrModel) UnmarshalBinary(data []byte) error {
	var st blrState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return err
	}
	return b.tr.SetOrder(st.Perm, st.Pos)
}

// batcher draws minibatches of training images in epochs of a random
// permutation, drawn from the data stream at the first minibatch.
type batcher struct {
	set  *mnist.Set
	perm []int
	pos  int
}

// next fills batch (a multiple of 784 values) with the next images.
func (b *batcher) next(batch []float64, rng *rand.Rand) {
	P := mnist.Pixels
	if b.perm == nil {
		b.perm = rng.Perm(b.set.Len())
	}
	for k := range len(batch) / P {
		if b.pos == len(b.perm) {
			rng.Shuffle(len(b.perm), func(i, j int) { b.perm[i], b.perm[j] = b.perm[j], b.perm[i] })
			b.pos = 0
		}
		copy(batch[k*P:(k+1)*P], b.set.Image(b.perm[b.pos]))
		b.pos++
	}
}

// vaeState is the checkpointed state of a VAE run beyond its parameters.
type vaeState struct {
	Perm      []int
	Pos       int
	LastTrain float64
}

func (b *batcher) state(last float64) ([]byte, error) { return gobState(vaeState{b.perm, b.pos, last}) }

func (b *batcher) setState(data []byte) (float64, error) {
	var st vaeState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return 0, err
	}
	if (st.Perm != nil && len(st.Perm) != b.set.Len()) || st.Pos < 0 || st.Pos > len(st.Perm) {
		return 0, fmt.Errorf("minibatch order of %d images at %d, want %d images", len(st.Perm), st.Pos, b.set.Len())
	}
	b.perm, b.pos = st.Perm, st.Pos
	return st.LastTrain, nil
}

// vaeModel is the Gaussian VAE.
type vaeModel struct {
	spec          *spec.Model
	train, test   *mnist.Set
	m             *vae.Model
	group         Group
	batches       batcher
	batch         []float64
	lastTrain     float64
	nTrain, nTest int
}

func newVAEModel(sm *spec.Model, tr, te *mnist.Set, e spec.Estimator, init *rand.Rand) (*vaeModel, error) {
	m, err := vae.New(vae.Config{Hidden: sm.Hidden, Latent: sm.Latent, Batch: sm.Batch, Samples: samples(sm, e)}, init)
	if err != nil {
		return nil, err
	}
	g, err := optimizerGroup(sm, "networks", m.Params, m.Grad)
	if err != nil {
		return nil, err
	}
	return &vaeModel{spec: sm, train: tr, test: te, m: m, group: g, batches: batcher{set: tr}, lastTrain: math.NaN(),
		batch: make([]float64, sm.Batch*mnist.Pixels), nTrain: min(sm.TrainImages, tr.Len()), nTest: min(sm.TestImages, te.Len())}, nil
}

func (v *vaeModel) Groups() []Group { return []Group{v.group} }

func (v *vaeModel) Step(est estimators.Estimator, r *Streams) (estimators.Cost, float64, error) {
	v.batches.next(v.batch, r.Data)
	c, elbo, err := v.m.Step(v.batch, est, r.Estimator, r.Data)
	v.lastTrain = elbo
	return c, elbo, err
}

func (v *vaeModel) Update() error { return nil }

// Evaluate records train_elbo (one sample, the first train_images training
// images), test_iw (objective_samples importance samples, the first
// test_images test images) and minibatch_elbo (the last step's; NaN at
// step 0).
func (v *vaeModel) Evaluate(est estimators.Estimator, r *Streams) (Evaluation, error) {
	P := mnist.Pixels
	trElbo, _ := v.m.Bounds(v.train.X[:v.nTrain*P], 1, r.Eval)
	_, iw := v.m.Bounds(v.test.X[:v.nTest*P], v.spec.ObjectiveSamples, r.Eval)
	return Evaluation{Objective: iw, ObjectiveMethod: MethodMonteCarlo, GradVariance: math.NaN(),
		Metrics: []store.KV{{Name: "train_elbo", Value: trElbo}, {Name: "test_iw", Value: iw}, {Name: "minibatch_elbo", Value: v.lastTrain}}}, nil
}

func (v *vaeModel) MarshalBinary() ([]byte, error) { return v.batches.state(v.lastTrain) }

func (v *vaeModel) UnmarshalBinary(data []byte) (err error) {
	v.lastTrain, err = v.batches.setState(data)
	return err
}

// bvaeModel is the Bernoulli VAE: the networks move with the spec's
// optimizer, the prior's logits by SGD at prior_learning_rate.
type bvaeModel struct {
	vaeModel
	b      *bvae.Model
	prior  Group
	vbatch []float64
}

// bvaeConfig is the Bernoulli VAE of a spec with n samples per estimate.
func bvaeConfig(sm *spec.Model, mean []float64, n int) bvae.Config {
	return bvae.Config{Nonlinear: sm.Layers == "nonlinear", Hidden: sm.Hidden, Latent: sm.Latent,
		Batch: sm.Batch, Samples: n, Mean: mean, Demean: sm.DemeanInput, MeanBias: sm.DecoderBias == "data-mean"}
}

func newBVAEModel(sm *spec.Model, tr, te *mnist.Set, mean []float64, e spec.Estimator, init *rand.Rand) (*bvaeModel, error) {
	m, err := bvae.New(bvaeConfig(sm, mean, samples(sm, e)), init)
	if err != nil {
		return nil, err
	}
	g, err := optimizerGroup(sm, "networks", m.Params, m.Grad)
	if err != nil {
		return nil, err
	}
	lr := sm.PriorLearningRate
	prior := Group{Name: "prior", Params: m.Prior, Grad: m.PriorGrad, Optimizer: &optim.SGD{}, Schedule: func(int) float64 { return lr }}
	return &bvaeModel{vaeModel: vaeModel{spec: sm, train: tr, test: te, group: g, batches: batcher{set: tr}, lastTrain: math.NaN(),
		batch: make([]float64, sm.Batch*mnist.Pixels), nTrain: min(sm.TrainImages, tr.Len()), nTest: min(sm.TestImages, te.Len())},
		b: m, prior: prior, vbatch: make([]float64, sm.Batch*mnist.Pixels)}, nil
}

func (v *bvaeModel) Groups() []Group { return []Group{v.group, v.prior} }

func (v *bvaeModel) Step(est estimators.Estimator, r *Streams) (estimators.Cost, float64, error) {
	v.batches.next(v.batch, r.Data)
	c, elbo, err := v.b.Step(v.batch, est, r.Estimator, r.Data)
	v.lastTrain = elbo
	return c, elbo, err
}

// Evaluate records train_elbo, test_iw and minibatch_elbo as the Gaussian
// VAE does and, with variance_draws ≥ 2, var_enc: the encoder gradient's
// variance on a minibatch shared by every estimator of the seed.
func (v *bvaeModel) Evaluate(est estimators.Estimator, r *Streams) (Evaluation, error) {
	P := mnist.Pixels
	trElbo, _ := v.b.Bounds(v.train.X[:v.nTrain*P], 1, r.Eval)
	_, iw := v.b.Bounds(v.test.X[:v.nTest*P], v.spec.ObjectiveSamples, r.Eval)
	ev := Evaluation{Objective: iw, ObjectiveMethod: MethodMonteCarlo, GradVariance: math.NaN(),
		Metrics: []store.KV{{Name: "train_elbo", Value: trElbo}, {Name: "test_iw", Value: iw}, {Name: "minibatch_elbo", Value: v.lastTrain}}}
	if v.spec.VarianceDraws >= 2 {
		for k := range v.spec.Batch {
			copy(v.vbatch[k*P:(k+1)*P], v.train.Image(r.VarianceData.IntN(v.train.Len())))
		}
		vr, nf, err := v.b.EncoderGradVariance(v.vbatch, est, v.spec.VarianceDraws, r.VarianceData, r.Variance)
		if err != nil {
			return ev, err
		}
		ev.GradVariance, ev.GradNonfinite = vr, nf
		ev.Metrics = append(ev.Metrics, store.KV{Name: "var_enc", Value: vr})
	}
	return ev, nil
}

// EvaluateFinal records test_iw_full, the importance-weighted bound
// (objective_samples samples) on the first final_test_images test images,
// when the spec asks for it.
func (v *bvaeModel) EvaluateFinal(r *Streams) []store.KV {
	n := min(v.spec.FinalTestImages, v.test.Len())
	if n == 0 {
		return nil
	}
	_, iw := v.b.Bounds(v.test.X[:n*mnist.Pixels], v.spec.ObjectiveSamples, r.Eval)
	return []store.KV{{Name: "test_iw_full", Value: iw}}
}

// probe measures est's encoder-gradient variance at the current
// parameters: one minibatch of training images drawn with data() (shared by
// every probe of the step), blocks blocks of draws/blocks draws each, every
// block on the same binarisation (a fresh data() generator) with est's
// draws from one rng() generator. The variance is the mean of the blocks'
// variances, and its 95% interval the Student-t interval of that mean
// (blocks − 1 degrees of freedom), its lower end clipped at 0.
func (v *bvaeModel) probe(est estimators.Estimator, n, draws, blocks int, data, rng func() *rand.Rand) (vr, lo, hi float64, nonfinite int, err error) {
	P := mnist.Pixels
	pick := data()
	for k := range v.spec.Batch {
		copy(v.vbatch[k*P:(k+1)*P], v.train.Image(pick.IntN(v.train.Len())))
	}
	bin := pick.Uint64()
	old := v.b.Samples
	v.b.Samples = n
	defer func() { v.b.Samples = old }()
	r := rng()
	var m stats.Moments
	for range blocks {
		vb, nf, err := v.b.EncoderGradVariance(v.vbatch, est, draws/blocks, rand.New(rand.NewPCG(bin, 1)), r)
		if err != nil {
			return 0, 0, 0, 0, err
		}
		nonfinite += nf
		m.Add(vb)
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(blocks - 1)}.Quantile(0.975)
	half := t * m.SD() / math.Sqrt(float64(blocks))
	return m.Mean(), max(0, m.Mean()-half), m.Mean() + half, nonfinite, nil
}

// batchHash returns a hash of the minibatch of the last step: the examples
// (blr) or the binarised images (the VAEs), for tests of common random
// numbers.
func (b *blrModel) batchHash() uint64 {
	h := fnv.New64a()
	for _, i := range b.tr.Batch() {
		binary.Write(h, binary.LittleEndian, int64(i))
	}
	return h.Sum64()
}

func (v *vaeModel) batchHash() uint64 { return hashFloats(v.m.Input()) }

func (v *bvaeModel) batchHash() uint64 { return hashFloats(v.b.Input()) }

func hashFloats(x []float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, v := range x {
		binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
		h.Write(b[:])
	}
	return h.Sum64()
}
