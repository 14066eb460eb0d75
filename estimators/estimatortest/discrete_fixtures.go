package estimatortest

import (
	"fmt"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// discreteFixtures returns the fixtures of discrete families with
// objectives that also take relaxed inputs, so that the relaxation-based
// estimators (gumbel-softmax, st-gumbel, st, rebar, relax) and the
// Bernoulli ones (arm, disarm) have problems to run on, with gradients by
// enumeration:
//
//   - bernoulli(logit=0) × quadratic(k=0.49): the REBAR toy problem;
//   - bernoulli-vec with 3 free logits × quadratic-t (per-coordinate targets);
//   - bernoulli-vec, 3 coordinates sharing one logit × linquad;
//   - onehot with 4 classes × onehot-table (linear in x);
//   - the same onehot × onehot-quadratic (the same values on the vertices,
//     quadratic in between, with a dense Hessian).
func discreteFixtures() ([]Fixture, error) {
	var fx []Fixture
	add := func(name string, p dist.Distribution, perr error, f objective.Objective) error {
		if perr != nil {
			return fmt.Errorf("estimatortest: fixture %s: %v", name, perr)
		}
		g, method, err := exactGradient(p, f)
		if err != nil {
			return fmt.Errorf("estimatortest: fixture %s: %v", name, err)
		}
		fx = append(fx, Fixture{Name: name, P: p, F: f, N: 4, R: 20000, Grad: g, Method: method})
		return nil
	}
	be, err := dist.NewBernoulli(0)
	if err := add("bernoulli(logit=0)×quadratic(k=0.49)", be, err, objective.Quadratic{K: 0.49}); err != nil {
		return nil, err
	}
	bv, err := dist.NewBernoulliVec([]float64{0.3, -0.8, 1.2})
	if err := add("bernoulli-vec(logits=0.3,-0.8,1.2)×quadratic-t(t=0.45,step=0.1)", bv, err, objective.TargetQuadratic{T: 0.45, Step: 0.1}); err != nil {
		return nil, err
	}
	bt, err := dist.NewBernoulliTied(3, 0.4)
	if err := add("bernoulli-vec(dim=3,tied,logit=0.4)×linquad(a=0.5,q=-2)", bt, err, objective.LinQuad{A: 0.5, Q: -2}); err != nil {
		return nil, err
	}
	oh, err := dist.NewOneHot([]float64{0, 0.5, 1, -0.5})
	if err := add("onehot(logits=0,0.5,1,-0.5)×onehot-table(c=1.3)", oh, err, objective.OneHotTable{C: 1.3}); err != nil {
		return nil, err
	}
	if err := add("onehot(logits=0,0.5,1,-0.5)×onehot-quadratic(m=1.3)", oh, err, objective.OneHotQuadratic{M: 1.3}); err != nil {
		return nil, err
	}
	return fx, nil
}
