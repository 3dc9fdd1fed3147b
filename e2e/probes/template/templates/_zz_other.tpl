{{- define "probe.dup" -}}from _zz_other.tpl{{- end -}}
