{{/* Names, labels and derived lists shared by every template. */}}

{{- define "kubevirt-redfish.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name: the release name alone when it already contains the chart name. */}}
{{- define "kubevirt-redfish.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kubevirt-redfish.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubevirt-redfish.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kubevirt-redfish.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "kubevirt-redfish.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kubevirt-redfish.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kubevirt-redfish.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kubevirt-redfish.configSecretName" -}}
{{- default (printf "%s-secret" (include "kubevirt-redfish.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{/* Namespaces holding VMs, as a JSON list: rbac.vmNamespaces, else the chassis namespaces of
     the rendered config. */}}
{{- define "kubevirt-redfish.vmNamespaces" -}}
{{- $namespaces := list -}}
{{- if .Values.rbac.vmNamespaces -}}
{{- $namespaces = .Values.rbac.vmNamespaces -}}
{{- else if not .Values.existingSecret -}}
{{- range .Values.config.chassis -}}
{{- $namespaces = append $namespaces .namespace -}}
{{- end -}}
{{- end -}}
{{- $namespaces | uniq | toJson -}}
{{- end -}}

{{/* Where sessions and settings live; must match what the service computes (serve.ts):
     config.sessions.namespace, else POD_NAMESPACE (the release namespace). */}}
{{- define "kubevirt-redfish.sessionNamespace" -}}
{{- $configured := "" -}}
{{- if and (not .Values.existingSecret) .Values.config.sessions -}}
{{- $configured = .Values.config.sessions.namespace | default "" -}}
{{- end -}}
{{- .Values.sessionNamespace | default $configured | default .Release.Namespace -}}
{{- end -}}
