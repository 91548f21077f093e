{{/* The chart name, or nameOverride. */}}
{{- define "supercloud.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of the release's objects: the release name, with the chart name unless it is in it. */}}
{{- define "supercloud.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Labels of every object of the release. */}}
{{- define "supercloud.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "supercloud.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: supercloud
{{- end }}

{{/* Labels that select the operator pods (never change them: Deployment selectors are immutable). */}}
{{- define "supercloud.selectorLabels" -}}
app.kubernetes.io/name: {{ include "supercloud.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "supercloud.operatorSelectorLabels" -}}
{{ include "supercloud.selectorLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels that select the gateway pods (never change them either). */}}
{{- define "supercloud.gatewaySelectorLabels" -}}
{{ include "supercloud.selectorLabels" . }}
app.kubernetes.io/component: gateway
{{- end }}

{{/* Name of the gateway's Deployment, ServiceAccount, RBAC, Service and Ingress. */}}
{{- define "supercloud.gatewayName" -}}
{{- printf "%s-gateway" (include "supercloud.fullname" .) }}
{{- end }}

{{- define "supercloud.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "supercloud.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: set the existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator image: repository, then the digest if set, else the tag (default appVersion). */}}
{{- define "supercloud.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding the wallet key: the existing one, or the one the chart creates. */}}
{{- define "supercloud.walletSecretName" -}}
{{- if .Values.wallet.create }}
{{- printf "%s-wallet" (include "supercloud.fullname" .) }}
{{- else }}
{{- required "wallet.existingSecret: name the Secret holding the provider's private key (or set signer.url for a remote signer holding it, or wallet.create for a test set-up)" .Values.wallet.existingSecret }}
{{- end }}
{{- end }}

{{/* Whether the provider signs through a remote signer (signer.url) rather than a key in a Secret. */}}
{{- define "supercloud.remoteSigner" -}}
{{- if .Values.signer.url }}true{{ end }}
{{- end }}

{{/*
The one Secret the operator may read: the wallet key's, or the remote signer's credentials (none
when the signer needs no token nor CA).
*/}}
{{- define "supercloud.operatorSecretName" -}}
{{- if include "supercloud.remoteSigner" . }}
{{- .Values.signer.existingSecret }}
{{- else }}
{{- include "supercloud.walletSecretName" . }}
{{- end }}
{{- end }}

{{/* The TCP port of signer.url: its own, else 443 (https) or 80 (http). */}}
{{- define "supercloud.signerPort" -}}
{{- $url := urlParse .Values.signer.url }}
{{- $host := splitList ":" $url.host }}
{{- if gt (len $host) 1 }}{{ last $host }}{{ else if eq $url.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}

{{/*
The provider key is in exactly one place, and a remote signer has an address. values.schema.json
has already refused values with no key at all (no wallet.existingSecret, wallet.create nor
signer.url), naming them.
*/}}
{{- define "supercloud.checkSigner" -}}
{{- $wallet := .Values.wallet }}
{{- $signer := .Values.signer }}
{{- if $signer.url }}
{{- if or $wallet.existingSecret $wallet.create }}
{{- fail "signer.url and wallet.existingSecret (or wallet.create) are both set: the provider key is either in a Secret or in the remote signer, choose one" }}
{{- end }}
{{- if not $signer.address }}
{{- fail "signer.address: set the provider wallet's address, whose key the remote signer at signer.url holds" }}
{{- end }}
{{- else if $signer.address }}
{{- fail "signer.address is set without signer.url: set the remote signer's URL too (or drop signer.address to use wallet.*)" }}
{{- end }}
{{- end }}

{{/* Labels of the pods of the chart's helm test hooks. */}}
{{- define "supercloud.testSelectorLabels" -}}
{{ include "supercloud.selectorLabels" . }}
app.kubernetes.io/component: test
{{- end }}

{{/* Namespace whose pods may reach leases' exposed ports (default: the release namespace, where the gateway runs). */}}
{{- define "supercloud.ingressNamespace" -}}
{{- default .Release.Namespace .Values.provider.tenantIsolation.ingressNamespace }}
{{- end }}
