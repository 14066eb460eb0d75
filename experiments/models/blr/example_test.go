package blr_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/estimators"
	"github.com/gradbench/gradbench/experiments/models/blr"
	"github.com/gradbench/gradbench/experiments/optim"
)

// ExampleTrainer_Step fits the Bayesian logistic regression to the
// breast-cancer data with pathwise gradients: batch 32, N = 50 posterior
// samples, SGD at learning rate 1e-3 with cosine decay, as the blr
// experiment, for 1000 of its 5000 steps; the full-data ELBO is estimated
// with 1000 posterior samples.
func ExampleTrainer_Step() {
	d, err := blr.LoadCSV("../../data/breast-cancer/breast_cancer.csv")
	if err != nil {
		fmt.Println(err)
		return
	}
	tr, err := blr.NewTrainer(d, 32, 50, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	est, err := estimators.New("pathwise", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	const steps = 1000
	sched, err := optim.NewSchedule("cosine", 1e-3, steps)
	if err != nil {
		fmt.Println(err)
		return
	}
	var opt optim.SGD
	rng := rand.New(rand.NewPCG(1, 2))
	mu, s := tr.MuS()
	elbo0, _, _ := blr.Evaluate(d, mu, s, 1000, rand.New(rand.NewPCG(3, 4)))
	for step := range steps {
		if _, err := tr.Step(est, rng, rng); err != nil {
			fmt.Println(err)
			return
		}
		opt.Step(tr.Params, tr.Grad, sched(step))
	}
	mu, s = tr.MuS()
	elbo, se, acc := blr.Evaluate(d, mu, s, 1000, rand.New(rand.NewPCG(3, 4)))
	fmt.Printf("ELBO %.0f → %.0f ± %.1f, accuracy %.2f\n", elbo0, elbo, se, acc)
	// Output:
	// ELBO -1200 → -69 ± 0.4, accuracy 0.97
}
