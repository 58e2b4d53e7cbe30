{{/*
Labels the chart adds to the metadata of every object, beside the
app.kubernetes.io/name and component labels of artifacts/deploy (which are
also the selectors, so pod templates carry only those).
*/}}
{{- define "workloads.labels" -}}
app.kubernetes.io/part-of: workloads-apiserver
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{- define "workloads.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* The DNS names kube-apiserver and clients use for the Service. */}}
{{- define "workloads.servingDNSNames" -}}
{{- $ns := .Release.Namespace -}}
- workloads-apiserver
- workloads-apiserver.{{ $ns }}
- workloads-apiserver.{{ $ns }}.svc
- workloads-apiserver.{{ $ns }}.svc.cluster.local
{{- end }}

{{/* The serving certificate Secret the apiserver Deployment mounts. */}}
{{- define "workloads.servingSecretName" -}}
{{- if eq .Values.servingCert.mode "secret" -}}
{{- required "servingCert.secretName is required with servingCert.mode=secret" .Values.servingCert.secretName -}}
{{- else -}}
workloads-apiserver-serving
{{- end -}}
{{- end }}

{{/* --etcd-servers for the chosen etcd mode. */}}
{{- define "workloads.etcdServers" -}}
{{- if eq .Values.etcd.mode "bundled" -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.etcd.bundled.replicas) -}}
{{- $urls = append $urls (printf "https://workloads-etcd-%d.workloads-etcd:2379" $i) -}}
{{- end -}}
{{- join "," $urls -}}
{{- else if eq .Values.etcd.mode "external" -}}
{{- if not .Values.etcd.external.endpoints -}}
{{- fail "etcd.external.endpoints must list the etcd client URLs with etcd.mode=external" -}}
{{- end -}}
{{- join "," .Values.etcd.external.endpoints -}}
{{- else -}}
{{- fail (printf "etcd.mode must be bundled or external, not %q" .Values.etcd.mode) -}}
{{- end -}}
{{- end }}

{{/* The Secret with the etcd CA and the apiserver's etcd client certificate; empty for plain connections. */}}
{{- define "workloads.etcdClientSecretName" -}}
{{- if eq .Values.etcd.mode "bundled" -}}
workloads-apiserver-etcd-client
{{- else -}}
{{- .Values.etcd.external.tlsSecretName -}}
{{- end -}}
{{- end }}

{{/* The data of an existing Secret in the release namespace, or an empty dict (always empty under helm template). */}}
{{- define "workloads.existingSecretData" -}}
{{- $s := lookup "v1" "Secret" .namespace .name -}}
{{- if and $s $s.data -}}
{{- toJson $s.data -}}
{{- else -}}
{}
{{- end -}}
{{- end }}
