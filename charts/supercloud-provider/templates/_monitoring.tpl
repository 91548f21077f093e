{{/*
The label matchers of the operator's series as the chart's ServiceMonitor scrapes them: the job is
the metrics Service's name, the namespace the release's.
*/}}
{{- define "supercloud.metricsMatchers" -}}
namespace="{{ .Release.Namespace }}", job="{{ include "supercloud.fullname" . }}-metrics"
{{- end }}

{{/*
Appended to an expression over series only the leading replica keeps current (wallet, follower):
keeps the leader's. Without leader election the one replica is the leader.
*/}}
{{- define "supercloud.onLeader" -}}
{{- if .Values.operator.leaderElection.enabled }} and on (instance) (leader_election_master_status{ {{- include "supercloud.metricsMatchers" . }}, name="{{ .Values.operator.leaderElection.id }}"} == 1){{ end }}
{{- end }}
