{{/*
A `helm test` pod: the operator's image running `supercloud-operator check <args>` (no other
image, no shell), restricted like the operator, where the operator may run. Kept when it fails, so
`helm test --logs` and `kubectl logs` show why; deleted when it passes.
*/}}
{{- define "supercloud.testPod" -}}
{{- $ := .root }}
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "supercloud.fullname" $ }}-test-{{ .name }}
  namespace: {{ $.Release.Namespace }}
  labels:
    {{- include "supercloud.labels" $ | nindent 4 }}
    app.kubernetes.io/component: test
  annotations:
    helm.sh/hook: test
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  restartPolicy: Never
  serviceAccountName: {{ include "supercloud.fullname" $ }}-test
  automountServiceAccountToken: {{ .apiAccess }}
  enableServiceLinks: false
  {{- with $.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    seccompProfile:
      type: RuntimeDefault
  containers:
    - name: check
      image: {{ include "supercloud.image" $ | quote }}
      imagePullPolicy: {{ $.Values.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      resources:
        requests:
          cpu: 10m
          memory: 64Mi
        limits:
          memory: 128Mi
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        runAsNonRoot: true
        capabilities:
          drop: [ALL]
        seccompProfile:
          type: RuntimeDefault
  {{- with $.Values.operator.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $.Values.operator.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
