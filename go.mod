module github.com/kube-experimental/workloads-apiserver

go 1.26
