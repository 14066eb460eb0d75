// Package train is the training engine of gradbench: it trains the model
// of a [train] spec (the parameters θ of a distribution, minimising
// E_{x~p(x;θ)}[f(x)]) or of a [model] spec (Bayesian logistic regression,
// the Gaussian VAE and the Bernoulli VAE of packages experiments/models/*)
// once per estimator and seed, with each estimator supplying the gradient of
// the expectation.
//
// Prepare validates a spec and builds what its runs share (Experiment);
// Run runs it into a results folder; Curves runs it in memory; Merge
// combines the folders of its shards. Every kind of experiment goes through
// one loop (Experiment.run), one worker pool, one seed derivation
// (Streams) and one stopping rule: a step whose gradient estimate fails,
// whose gradient or parameters are not finite, or whose parameters the
// model rejects (Model.Update) stops its run with a stopped curve point.
//
// # Paired runs
//
// Within one seed, every estimator's run sees the same initial parameters,
// minibatch order, dynamic binarisation, decoder samples, evaluation
// subsets and evaluation samples (common random numbers); only the
// estimator's own draws differ (see Streams). Gradient variances along
// training are measured with a frozen snapshot of the estimator in its
// current state (estimators.Snapshot) on minibatches shared by every
// estimator of the seed (for blr, by default, on the full data:
// spec.Model.VarianceData), so measuring never changes a trajectory.
//
// # Checkpoints, resume, shards
//
// Run saves each run's checkpoint (parameters, optimizer states, every
// random stream, the estimator's state, the metrics so far) atomically into
// DIR/.train every spec.Checkpoint.Every steps or Seconds seconds, when the
// run finishes, and when it is cancelled. With Options.Resume it continues
// every unfinished run from its checkpoint, and the results are
// bit-identical to an uninterrupted run's (the seconds column of curves.csv
// aside). Options.Shard and Shards split the runs; the folder is locked
// while Run writes it (store.Lock).
package train
