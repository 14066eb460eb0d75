package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/experiments/models/nn"
)

// ExampleDense fits one dense layer, packed with Pack into flat parameter
// and gradient slices, to a logistic regression by gradient descent on the
// Bernoulli log-likelihood: the pattern every model here follows (Forward,
// loss, Backward, an optimizer step on the packed slices).
func ExampleDense() {
	rng := rand.New(rand.NewPCG(1, 2))
	const batch, in = 64, 3
	wTrue := []float64{2, -1, 0.5}
	x := make([]float64, batch*in)
	t := make([]float64, batch) // labels in {0, 1}
	for i := range batch {
		var z float64
		for j := range in {
			x[i*in+j] = rng.NormFloat64()
			z += wTrue[j] * x[i*in+j]
		}
		if z > 0 {
			t[i] = 1
		}
	}
	l := nn.NewDense(in, 1, rng)
	params, grads := nn.Pack(l)
	logit, dlogit := make([]float64, batch), make([]float64, batch)
	var ll float64
	for step := range 500 {
		clear(grads)
		l.Forward(logit, x)
		ll = nn.BernoulliLogLik(dlogit, t, logit)
		for i := range dlogit {
			dlogit[i] = -dlogit[i] / batch // minimise the negated mean
		}
		l.Backward(nil, x, dlogit)
		for k := range params {
			params[k] -= 0.5 * grads[k]
		}
		if step == 0 {
			fmt.Printf("log-likelihood at the start: %.1f\n", ll)
		}
	}
	fmt.Printf("after 500 steps: %.1f, %d of %d labels right\n", ll, right(logit, t), batch)
	// Output:
	// log-likelihood at the start: -36.2
	// after 500 steps: -6.5, 62 of 64 labels right
}

// right counts the logits on the side of zero that their labels say.
func right(logit, t []float64) int {
	n := 0
	for i := range logit {
		if (logit[i] > 0) == (t[i] == 1) {
			n++
		}
	}
	return n
}
