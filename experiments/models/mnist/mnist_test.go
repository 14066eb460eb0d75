package mnist

import (
	"compress/gzip"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeIDX writes a small gzip-compressed IDX file.
func writeIDX(t *testing.T, path string, header []int32, body []byte) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	z := gzip.NewWriter(f)
	for _, h := range header {
		if err := binary.Write(z, binary.BigEndian, h); err != nil {
			t.Fatal(err)
		}
	}
	z.Write(body)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestLoadSmallFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, prefix := range []string{"train", "t10k"} {
		img := make([]byte, 2*Pixels)
		img[0], img[Pixels+5] = 255, 51
		writeIDX(t, filepath.Join(dir, prefix+"-images-idx3-ubyte.gz"), []int32{0x803, 2, 28, 28}, img)
		writeIDX(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte.gz"), []int32{0x801, 2}, []byte{7, 3})
	}
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 2 || test.Len() != 2 || train.Labels[0] != 7 || train.Labels[1] != 3 {
		t.Fatalf("labels %v %v", train.Labels, test.Labels)
	}
	if train.Image(0)[0] != 1 || train.Image(1)[5] != 0.2 || train.Image(1)[0] != 0 {
		t.Fatalf("pixels not scaled: %v %v", train.Image(0)[0], train.Image(1)[5])
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "train-images") || !strings.Contains(err.Error(), EnvDir) {
		t.Fatalf("missing files: err = %v", err)
	}
	writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), []int32{0x803, 1, 28, 28}, make([]byte, Pixels))
	writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), []int32{0x801, 2}, []byte{1, 2})
	if _, _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "2 labels for 1 images") {
		t.Fatalf("count mismatch: err = %v", err)
	}
}

func TestDirOverride(t *testing.T) {
	t.Setenv(EnvDir, "/some/where")
	if d, err := Dir(); err != nil || d != "/some/where" {
		t.Fatalf("Dir() = %q, %v", d, err)
	}
}

// TestRealMNIST loads the real files from the module cache; it is skipped
// only when the module cannot be located (no module cache and no network).
func TestRealMNIST(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("short")
	}
	dir, err := Dir()
	if err != nil {
		t.Skipf("MNIST module not available: %v", err)
	}
	train, test, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 60000 || test.Len() != 10000 {
		t.Fatalf("sizes %d, %d", train.Len(), test.Len())
	}
	// The first training digit is a 5, the first test digit a 7.
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Fatalf("first labels %d, %d", train.Labels[0], test.Labels[0])
	}
	var mean float64
	for _, v := range train.X[:1000*Pixels] {
		mean += v
	}
	mean /= 1000 * Pixels
	if mean < 0.1 || mean > 0.16 { // MNIST's mean intensity is 0.1307
		t.Fatalf("mean intensity %v", mean)
	}
}

func TestBinarize(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 10000)
	for i := range x {
		x[i] = 0.3
	}
	x[0], x[1] = 0, 1
	dst := make([]float64, len(x))
	Binarize(dst, x, rng)
	var ones float64
	for _, v := range dst[2:] {
		if v != 0 && v != 1 {
			t.Fatalf("value %v", v)
		}
		ones += v
	}
	// Binomial(9998, 0.3): sd ≈ 45.8; 4 sd ≈ 183 (false alarm rate ~6e-5).
	if dst[0] != 0 || dst[1] != 1 || ones < 0.3*9998-183 || ones > 0.3*9998+183 {
		t.Fatalf("ones = %v, ends %v %v", ones, dst[0], dst[1])
	}
}
