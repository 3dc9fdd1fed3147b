{{- define "probe.helper" -}}
helper says {{ . }}
{{- end -}}
{{ define "probe.blockover" }}block overridden in _helpers.tpl{{ end }}
{{- define "probe.labels" -}}
app: {{ .name }}
team: {{ .team }}
{{- end -}}
{{- define "probe.dup" -}}from _helpers.tpl{{- end -}}
{{- define "probe.recurse" -}}{{ if gt (int .) 0 }}{{ . }} {{ include "probe.recurse" (sub (int .) 1) }}{{ end }}{{- end -}}
{{- define "probe.fails" -}}{{ fail "failed inside a helper" }}{{- end -}}
{{- define "probe.nilptr" -}}{{ .nope.deeper }}{{- end -}}
{{- define "probe.self" -}}{{ include "probe.self" . }}{{- end -}}
{{- define "probe.req" -}}{{ required "needed in define" .x }}{{- end -}}
{{- define "probe.tplerr" -}}{{ tpl "{{ .a.b.c }}" . }}{{- end -}}
{{- define "probe.bytes" }}{{ b64dec "gA==" }}{{ end }}
