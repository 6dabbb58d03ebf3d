{{/* The chart name. */}}
{{- define "facecluster.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The full name: release-chart, or fullnameOverride. */}}
{{- define "facecluster.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "facecluster.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "facecluster.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: facecluster
{{- end -}}

{{/* Labels that select the release's pods. */}}
{{- define "facecluster.selectorLabels" -}}
app.kubernetes.io/name: {{ include "facecluster.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "facecluster.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "facecluster.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "facecluster.dataClaim" -}}
{{- default (printf "%s-data" (include "facecluster.fullname" .)) .Values.data.existingClaim -}}
{{- end -}}

{{- define "facecluster.tokensSecret" -}}
{{- default (printf "%s-api-tokens" (include "facecluster.fullname" .)) .Values.api.existingSecret -}}
{{- end -}}

{{- define "facecluster.redisName" -}}
{{- printf "%s-redis" (include "facecluster.fullname" .) -}}
{{- end -}}

{{/* HOST:PORT of Redis, bundled or external. */}}
{{- define "facecluster.redisAddress" -}}
{{- if eq .Values.redis.mode "bundled" -}}
{{- /* The pod of the headless Service, resolved through the pod's DNS search path (same namespace). */ -}}
{{- printf "%s-0.%s:%d" (include "facecluster.redisName" .) (include "facecluster.redisName" .) (int .Values.redis.bundled.port) -}}
{{- else -}}
{{- required "redis.external.address (HOST:PORT) is required when redis.mode is external" .Values.redis.external.address -}}
{{- end -}}
{{- end -}}

{{/*
A silo pod template. Call with (dict "root" $ "role" "cpu"|"gpu" "silo" .Values.cpuSilo|.Values.gpuSilo).
*/}}
{{- define "facecluster.siloPod" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
{{- $silo := .silo -}}
{{- $role := .role -}}
metadata:
  labels:
    {{- include "facecluster.selectorLabels" $root | nindent 4 }}
    app.kubernetes.io/component: silo-{{ $role }}
    facecluster.io/silo: "true"
    facecluster.io/role: {{ $role }}
    {{- with $v.pod.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    {{- if $v.telemetry.prometheusAnnotations }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ $v.cluster.apiPort | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    checksum/tokens: {{ $v.api.tokens | toJson | sha256sum | trunc 16 }}
    {{- with $silo.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "facecluster.serviceAccountName" $root }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ $v.pod.terminationGracePeriodSeconds }}
  {{- with $v.image.pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  securityContext:
    runAsNonRoot: true
    runAsUser: {{ $v.securityContext.runAsUser }}
    runAsGroup: {{ $v.securityContext.runAsGroup }}
    fsGroup: {{ $v.securityContext.fsGroup }}
    seccompProfile:
      type: RuntimeDefault
  {{- with $silo.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $silo.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $silo.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: silo
      image: "{{ $silo.image.repository }}:{{ $silo.image.tag | default $root.Chart.AppVersion }}"
      imagePullPolicy: {{ $v.image.pullPolicy }}
      ports:
        - name: silo
          containerPort: {{ $v.cluster.siloPort }}
          protocol: TCP
        - name: gateway
          containerPort: {{ $v.cluster.gatewayPort }}
          protocol: TCP
        - name: http
          containerPort: {{ $v.cluster.apiPort }}
          protocol: TCP
      env:
        # Orleans endpoints from the downward API: other silos reach this one at its pod IP.
        - name: POD_IP
          valueFrom:
            fieldRef:
              fieldPath: status.podIP
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: NODE_NAME
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
        - name: FACECLUSTER__ADVERTISEDADDRESS
          value: $(POD_IP)
        - name: FACECLUSTER__SILONAME
          value: $(POD_NAME)
        - name: FACECLUSTER__SILOPORT
          value: {{ $v.cluster.siloPort | quote }}
        - name: FACECLUSTER__GATEWAYPORT
          value: {{ $v.cluster.gatewayPort | quote }}
        - name: FACECLUSTER__APIPORT
          value: {{ $v.cluster.apiPort | quote }}
        - name: FACECLUSTER__API__LISTENADDRESS
          value: 0.0.0.0
        - name: FACECLUSTER__API__DASHBOARD
          value: {{ $v.cluster.dashboard | quote }}
        - name: FACECLUSTER__API__METRICSREQUIRETOKEN
          value: {{ $v.api.metricsRequireToken | quote }}
        - name: FACECLUSTER__CLUSTERING
          value: redis
        - name: FACECLUSTER__REDIS
          value: {{ include "facecluster.redisAddress" $root | quote }}
        {{- if and (eq $v.redis.mode "external") $v.redis.external.existingSecret }}
        - name: FACECLUSTER__REDISPASSWORD
          valueFrom:
            secretKeyRef:
              name: {{ $v.redis.external.existingSecret }}
              key: {{ $v.redis.external.passwordKey }}
        {{- end }}
        - name: FACECLUSTER__CLUSTERID
          value: {{ $v.cluster.clusterId | quote }}
        - name: FACECLUSTER__SERVICEID
          value: {{ $v.cluster.serviceId | quote }}
        - name: FACECLUSTER__ROLE
          value: {{ $role }}
        - name: FACECLUSTER__DATAROOT
          value: {{ $v.data.mountPath | quote }}
        - name: FACECLUSTER__WORKERSLOTS
          value: {{ $silo.workerSlots | quote }}
        - name: FACECLUSTER_API_TOKENS
          valueFrom:
            secretKeyRef:
              name: {{ include "facecluster.tokensSecret" $root }}
              key: {{ $v.api.tokensKey }}
        - name: TMPDIR
          value: /tmp
        # OpenTelemetry: the service name, resource attributes, and OTLP export when an endpoint is set.
        - name: OTEL_SERVICE_NAME
          value: {{ $v.telemetry.serviceName | quote }}
        - name: OTEL_RESOURCE_ATTRIBUTES
          value: {{ include "facecluster.resourceAttributes" (dict "root" $root "role" $role) | quote }}
        {{- if $v.telemetry.otlpEndpoint }}
        - name: OTEL_EXPORTER_OTLP_ENDPOINT
          value: {{ $v.telemetry.otlpEndpoint | quote }}
        - name: OTEL_EXPORTER_OTLP_PROTOCOL
          value: {{ $v.telemetry.otlpProtocol | quote }}
        {{- end }}
        {{- range $name, $value := $v.cluster.extraEnv }}
        - name: {{ $name }}
          value: {{ $value | quote }}
        {{- end }}
      startupProbe:
        httpGet:
          path: /readyz
          port: http
        periodSeconds: {{ $v.probes.startup.periodSeconds }}
        failureThreshold: {{ $v.probes.startup.failureThreshold }}
        timeoutSeconds: {{ $v.probes.startup.timeoutSeconds }}
      readinessProbe:
        httpGet:
          path: /readyz
          port: http
        periodSeconds: {{ $v.probes.readiness.periodSeconds }}
        failureThreshold: {{ $v.probes.readiness.failureThreshold }}
        timeoutSeconds: {{ $v.probes.readiness.timeoutSeconds }}
      livenessProbe:
        httpGet:
          path: /healthz
          port: http
        periodSeconds: {{ $v.probes.liveness.periodSeconds }}
        failureThreshold: {{ $v.probes.liveness.failureThreshold }}
        timeoutSeconds: {{ $v.probes.liveness.timeoutSeconds }}
      resources:
        {{- $resources := deepCopy $silo.resources }}
        {{- if eq $role "gpu" }}
        {{- $limits := default dict $resources.limits }}
        {{- $_ := set $limits "nvidia.com/gpu" (int $silo.gpusPerSilo) }}
        {{- $_ := set $resources "limits" $limits }}
        {{- end }}
        {{- toYaml $resources | nindent 8 }}
      securityContext:
        runAsNonRoot: true
        runAsUser: {{ $v.securityContext.runAsUser }}
        runAsGroup: {{ $v.securityContext.runAsGroup }}
        readOnlyRootFilesystem: true
        allowPrivilegeEscalation: false
        privileged: false
        capabilities:
          drop: ["ALL"]
        seccompProfile:
          type: RuntimeDefault
      volumeMounts:
        - name: data
          mountPath: {{ $v.data.mountPath }}
        - name: tmp
          mountPath: /tmp
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: {{ include "facecluster.dataClaim" $root }}
    - name: tmp
      emptyDir:
        sizeLimit: {{ $v.pod.tmpSizeLimit }}
{{- end -}}

{{/* OTEL_RESOURCE_ATTRIBUTES: the values' attributes, then the pod's. */}}
{{- define "facecluster.resourceAttributes" -}}
{{- $attrs := list -}}
{{- range $k, $val := .root.Values.telemetry.resourceAttributes -}}
{{- $attrs = append $attrs (printf "%s=%s" $k $val) -}}
{{- end -}}
{{- $attrs = append $attrs "k8s.pod.name=$(POD_NAME)" -}}
{{- $attrs = append $attrs "k8s.namespace.name=$(POD_NAMESPACE)" -}}
{{- $attrs = append $attrs "k8s.node.name=$(NODE_NAME)" -}}
{{- $attrs = append $attrs "service.instance.id=$(POD_NAME)" -}}
{{- $attrs = append $attrs (printf "facecluster.role=%s" .role) -}}
{{- $attrs = append $attrs (printf "facecluster.cluster_id=%s" .root.Values.cluster.clusterId) -}}
{{- join "," $attrs -}}
{{- end -}}
