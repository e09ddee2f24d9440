// Command kstatus prints the kstatus of BareMetalNodes and Clouds as Flux and Argo CD compute it
// (sigs.k8s.io/cli-utils), so the operator's tests can check that Current, InProgress and Failed come out where
// they should.
//
// Usage: kstatus KUBECONFIG NAMESPACE NAME...   prints one "NAME STATUS" line per name; a NAME is a
// BareMetalNode's, or "clouds/NAME" for a Cloud.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: kstatus KUBECONFIG NAMESPACE NAME...")
		os.Exit(2)
	}
	config, err := clientcmd.BuildConfigFromFlags("", os.Args[1])
	if err != nil {
		fail(err)
	}
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		fail(err)
	}
	nodes := schema.GroupVersionResource{Group: "plinth.dev", Version: "v1alpha1", Resource: "baremetalnodes"}
	clouds := schema.GroupVersionResource{Group: "plinth.dev", Version: "v1alpha1", Resource: "clouds"}
	for _, name := range os.Args[3:] {
		resource, object := nodes, name
		if strings.HasPrefix(name, "clouds/") {
			resource, object = clouds, strings.TrimPrefix(name, "clouds/")
		}
		u, err := client.Resource(resource).Namespace(os.Args[2]).Get(context.Background(), object, v1.GetOptions{})
		if err != nil {
			fail(err)
		}
		result, err := status.Compute(u)
		if err != nil {
			fail(err)
		}
		fmt.Printf("%s %s\n", name, result.Status)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kstatus:", err)
	os.Exit(1)
}
