package estimatortest

import (
	"fmt"
	"math"

	"github.com/gradbench/gradbench/estimators/dist"
	"github.com/gradbench/gradbench/estimators/objective"
)

// Fixture is one (family, objective) problem of the conformance kit, with
// its exact reference gradient.
type Fixture struct {
	// Name identifies the fixture, e.g. "normal(mu=1,sigma=1)×quadratic(k=3)".
	Name string
	// P is the family at fixed parameters and F the objective.
	P dist.Distribution
	F objective.Objective
	// N is the number of samples per estimate; the kit raises it to the
	// estimator's MinSamples.
	N int
	// R is the number of replications (independent n-sample estimates).
	R int
	// Grad is the exact ∇θ E[f], in the order of P.ParamNames().
	Grad []float64
	// Method says how Grad was computed.
	Method string
}

// AcceptanceNormals are the (μ, σ) of the normal fixtures, and
// AcceptanceK the objective parameters k of each normal objective: the
// acceptance grid every estimator is compared on against closed forms.
var (
	AcceptanceNormals = [][2]float64{{1, 1}, {0, 0.5}, {-0.5, 2}}
	AcceptanceK       = map[string][]float64{
		"quadratic": {-3, 0, 3},
		"gaussian":  {0.1, 1, 10},
		"cos":       {0.5, 1.58, 5},
	}
)

// acceptanceObjectives is the order of the objectives in the fixtures.
var acceptanceObjectives = []string{"quadratic", "gaussian", "cos"}

// Fixtures returns the conformance fixtures, in a fixed order:
//
//   - normal at every (μ, σ) of AcceptanceNormals × quadratic (x−k)²,
//     gaussian exp(−kx²) and cos(kx) at every k of AcceptanceK;
//   - diagonal normal, D = 5 × quadratic;
//   - lognormal, exponential, laplace, gamma, beta, dirichlet, student-t,
//     weibull × quadratic;
//   - von-mises × cos(kx) at integer k (2π-periodic, so that the score
//     function is unbiased on its moving support [μ − π, μ + π));
//   - bernoulli and categorical × table.
//
// Every fixture has an exact reference gradient: the objectives' closed-form
// normal expectations, exact moments for the quadratic (E[(x−k)²] =
// Var x + (E x − k)², differentiated with dist.Moments), and enumeration
// over finite support. It returns an error if a fixture cannot be built.
func Fixtures() ([]Fixture, error) {
	var fx []Fixture
	add := func(name string, p dist.Distribution, perr error, f objective.Objective, n, r int) error {
		if perr != nil {
			return fmt.Errorf("estimatortest: fixture %s: %v", name, perr)
		}
		g, method, err := exactGradient(p, f)
		if err != nil {
			return fmt.Errorf("estimatortest: fixture %s: %v", name, err)
		}
		fx = append(fx, Fixture{Name: name, P: p, F: f, N: n, R: r, Grad: g, Method: method})
		return nil
	}
	for _, ms := range AcceptanceNormals {
		p, err := dist.NewNormal(ms[0], ms[1])
		for _, obj := range acceptanceObjectives {
			for _, k := range AcceptanceK[obj] {
				var f objective.Objective
				switch obj {
				case "quadratic":
					f = objective.Quadratic{K: k}
				case "gaussian":
					f = objective.Gaussian{K: k}
				case "cos":
					f = objective.Cos{K: k}
				}
				name := fmt.Sprintf("normal(mu=%g,sigma=%g)×%s(k=%g)", ms[0], ms[1], obj, k)
				if err := add(name, p, err, f, 4, 20000); err != nil {
					return nil, err
				}
			}
		}
	}
	mvn, err := dist.NewMVNDiag([]float64{-1, -0.5, 0, 0.5, 1}, []float64{0.5, 0.75, 1, 1.25, 1.5})
	if err := add("mvn(D=5)×quadratic(k=0.5)", mvn, err, objective.Quadratic{K: 0.5}, 4, 20000); err != nil {
		return nil, err
	}
	ln, err := dist.NewLogNormal(0, 0.5)
	if err := add("lognormal(mu=0,sigma=0.5)×quadratic(k=1)", ln, err, objective.Quadratic{K: 1}, 4, 20000); err != nil {
		return nil, err
	}
	ex, err := dist.NewExponential(2)
	if err := add("exponential(rate=2)×quadratic(k=1)", ex, err, objective.Quadratic{K: 1}, 4, 20000); err != nil {
		return nil, err
	}
	la, err := dist.NewLaplace(0.5, 1)
	if err := add("laplace(mu=0.5,scale=1)×quadratic(k=0)", la, err, objective.Quadratic{K: 0}, 4, 20000); err != nil {
		return nil, err
	}
	ga, err := dist.NewGamma(0.7, 2)
	if err := add("gamma(alpha=0.7,beta=2)×quadratic(k=0.5)", ga, err, objective.Quadratic{K: 0.5}, 4, 20000); err != nil {
		return nil, err
	}
	di, err := dist.NewDirichlet([]float64{0.5, 2, 1.3})
	if err := add("dirichlet(alpha=0.5,2,1.3)×quadratic(k=0.3)", di, err, objective.Quadratic{K: 0.3}, 4, 20000); err != nil {
		return nil, err
	}
	bt, err := dist.NewBeta(0.8, 2)
	if err := add("beta(alpha=0.8,beta=2)×quadratic(k=0.5)", bt, err, objective.Quadratic{K: 0.5}, 4, 20000); err != nil {
		return nil, err
	}
	st, err := dist.NewStudentT(8, 0.5, 1.5)
	if err := add("student-t(df=8,mu=0.5,scale=1.5)×quadratic(k=1)", st, err, objective.Quadratic{K: 1}, 4, 20000); err != nil {
		return nil, err
	}
	wb, err := dist.NewWeibull(2, 1)
	if err := add("weibull(k=2,lambda=1)×quadratic(k=1)", wb, err, objective.Quadratic{K: 1}, 4, 20000); err != nil {
		return nil, err
	}
	vm, err := dist.NewVonMises(0.5, 2)
	if err := add("von-mises(mu=0.5,kappa=2)×cos(k=2)", vm, err, objective.Cos{K: 2}, 4, 20000); err != nil {
		return nil, err
	}
	be, err := dist.NewBernoulli(0.3)
	t2, terr := objective.NewSquareTable(2, 0.49)
	if terr != nil {
		return nil, terr
	}
	if err := add("bernoulli(logit=0.3)×table(size=2,c=0.49)", be, err, t2, 4, 20000); err != nil {
		return nil, err
	}
	ca, err := dist.NewCategorical([]float64{0, 0.5, 1, -0.5})
	t4, terr := objective.NewSquareTable(4, 1.3)
	if terr != nil {
		return nil, terr
	}
	if err := add("categorical(logits=0,0.5,1,-0.5)×table(size=4,c=1.3)", ca, err, t4, 4, 20000); err != nil {
		return nil, err
	}
	more, err := discreteFixtures()
	if err != nil {
		return nil, err
	}
	return append(fx, more...), nil
}

// exactGradient returns ∇θ E_p[f] exactly, and the method used.
func exactGradient(p dist.Distribution, f objective.Objective) ([]float64, string, error) {
	g := make([]float64, p.NumParams())
	if ne, ok := f.(objective.NormalExpectation); ok {
		switch q := p.(type) {
		case dist.Normal:
			var dmu, dsigma [1]float64
			ne.NormalExpectation(dmu[:], dsigma[:], []float64{q.Mu}, []float64{q.Sigma})
			g[0], g[1] = dmu[0], dsigma[0]
			return g, "closed form", nil
		case dist.MVNDiag:
			d := len(q.Mu)
			ne.NormalExpectation(g[:d], g[d:], q.Mu, q.Sigma)
			return g, "closed form", nil
		}
	}
	if c, ok := f.(objective.Cos); ok {
		if vm, ok := p.(dist.VonMises); ok {
			// E[cos(kx)] = cos(kμ) E[cos(ky)], I_k(κ)/I₀(κ) for integer k.
			_, g[0], g[1] = vm.CosExpectation(c.K)
			return g, "closed form", nil
		}
	}
	if fin, ok := p.(dist.Finite); ok {
		x := make([]float64, p.Dim())
		s := make([]float64, p.NumParams())
		for i := range fin.SupportSize() {
			pr := fin.Outcome(x, i)
			if pr == 0 {
				continue
			}
			v := f.Value(x)
			p.Score(s, x)
			for j := range g {
				g[j] += pr * v * s[j]
			}
		}
		return g, "enumeration", nil
	}
	if q, ok := f.(objective.Quadratic); ok {
		if st, ok := p.(dist.StudentT); ok && st.DF > 2 {
			// StudentT has no dist.Moments (they do not exist for ν ≤ 2):
			// E[(x−k)²] = s²ν/(ν−2) + (μ−k)².
			nu, s := st.DF, st.Scale
			g[0], g[1], g[2] = -2*s*s/((nu-2)*(nu-2)), 2*(st.Mu-q.K), 2*s*nu/(nu-2)
			return g, "exact moments", nil
		}
		if m, ok := p.(dist.Moments); ok {
			// E[Σ (x_d−k)²] = Σ Var x_d + (E x_d − k)².
			d := p.Dim()
			mean, a, b := make([]float64, d), make([]float64, d), make([]float64, d)
			m.Mean(mean)
			for i := range d {
				a[i], b[i] = 2*(mean[i]-q.K), 1
			}
			m.MomentsVJP(g, a, b)
			return g, "exact moments", nil
		}
	}
	return nil, "", fmt.Errorf("no exact reference for %s × %s", p.Name(), f.Name())
}

// finite reports whether every element of s is finite.
func finite(s []float64) bool {
	for _, v := range s {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
