package dev.plinth.load;

import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.DriftPolicy;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/** {@code spec} of a Cloud: its roles, each with rollout, health-check and drift policy. */
final class CloudReader {
    private CloudReader() {}

    static final List<String> FIELDS = List.of("roles", "drift");
    static final List<String> ROLE_FIELDS =
            List.of("name", "count", "nodeSelector", "image", "rollout", "healthCheck", "failureDomainLabel",
                    "drift");
    static final List<String> ROLLOUT_FIELDS = List.of("maxUnavailable", "pauseSeconds", "partitionLabel",
            "maxFailures");
    static final List<String> HEALTH_FIELDS = List.of("checkIn", "tcpPort", "httpPort", "httpPath", "host",
            "timeoutSeconds");
    static final String MAX_UNAVAILABLE_EXPECTED =
            "an integer >= 1 or a percentage from 1% to 100%, like 1 or \"25%\"";
    /** Why 0 is refused rather than read as 1 or as "surge only": there is no spare machine to surge onto. */
    static final String ZERO_UNAVAILABLE = "maxUnavailable 0 would never let a node of the role change image"
            + " (bare metal has no spare machine to surge onto); expected ";
    private static final Pattern PERCENT = Pattern.compile("([0-9]{1,3})%");

    static CloudSpec read(Fields spec) {
        List<Fields> roleFields = spec.mappings("roles", true, ROLE_FIELDS,
                "a list of roles", "a role mapping with name, count and image");
        List<CloudRole> roles = new ArrayList<>();
        Map<String, Fields> byName = new HashMap<>();
        for (Fields r : roleFields) {
            CloudRole role = role(r);
            if (role.name() != null) {
                Fields first = byName.putIfAbsent(role.name(), r);
                if (first != null) {
                    r.report("name", "duplicate role name " + Fields.quote(role.name()) + ": already used by "
                            + first.path() + " at line " + first.lineOf("name")
                            + "; expected role names unique within the cloud");
                }
            }
            roles.add(role);
        }
        return new CloudSpec(roles, drift(spec));
    }

    private static CloudRole role(Fields r) {
        String name = r.string("name", true, Formats.ROLE_NAME, Formats::roleName);
        Integer count = r.integer("count", true, 0, Integer.MAX_VALUE, "an integer >= 0");
        Fields selector = r.mapping("nodeSelector", false, List.of("matchLabels"),
                "a mapping like {matchLabels: {role: compute}}");
        LabelSelector nodeSelector = null;
        if (selector.present()) {
            Map<String, String> labels = selector.stringMap("matchLabels", "a map of labels like {role: compute}");
            Node written = selector.value("matchLabels", false, "a map of labels like {role: compute}");
            if (labels.isEmpty() && (written == null
                    || written instanceof MappingNode m && m.getValue().isEmpty())) {
                // Kubernetes reads an empty selector as "every node"; here that would claim (and re-image) the
                // whole fleet, and reading it as "no node" would surprise whoever wrote it. Refuse it instead.
                r.report("nodeSelector", "empty nodeSelector: it would select no node (not every node);"
                        + " expected matchLabels with at least one label like {role: compute},"
                        + " or no nodeSelector for a role that has no nodes yet");
            }
            nodeSelector = new LabelSelector(labels);
        }
        ResourceRef image = MetadataReader.imageRef(r, "image", true);
        RolloutPolicy rollout = rollout(r.mapping("rollout", false, ROLLOUT_FIELDS,
                "a mapping like {maxUnavailable: 1, pauseSeconds: 60}"));
        HealthCheck health = healthCheck(r.mapping("healthCheck", false, HEALTH_FIELDS,
                "a mapping like {checkIn: true, tcpPort: 22, timeoutSeconds: 600}"));
        String domain = r.string("failureDomainLabel", false, "a label name like rack");
        return new CloudRole(name, count == null ? 0 : count, nodeSelector, image, rollout, health, domain,
                drift(r));
    }

    /** heal or report; null when not written (the role takes its cloud's, the cloud the default). */
    private static DriftPolicy drift(Fields f) {
        return DiskImageReader.choice(f, "drift", DriftPolicy.values(), DriftPolicy::yaml, null);
    }

    private static RolloutPolicy rollout(Fields f) {
        if (!f.present()) {
            return RolloutPolicy.DEFAULT;
        }
        String max = maxUnavailable(f);
        Integer pause = f.integer("pauseSeconds", false, 0, Integer.MAX_VALUE, "a number of seconds >= 0");
        String partition = f.string("partitionLabel", false, "a label name like side");
        Integer failures = f.integer("maxFailures", false, 0, Integer.MAX_VALUE, "an integer >= 0");
        return new RolloutPolicy(max, pause == null ? 0 : pause, partition, failures == null ? 0 : failures);
    }

    private static String maxUnavailable(Fields f) {
        String dflt = RolloutPolicy.DEFAULT.maxUnavailable();
        Node v = f.value("maxUnavailable", false, MAX_UNAVAILABLE_EXPECTED);
        if (v == null) {
            return dflt;
        }
        if (v instanceof ScalarNode s && s.getTag().equals(Tag.INT)) {
            if (s.getValue().equals("0")) {
                f.problem("maxUnavailable", v, ZERO_UNAVAILABLE + MAX_UNAVAILABLE_EXPECTED);
                return dflt;
            }
            Integer n = f.integerValue("maxUnavailable", v, 1, Integer.MAX_VALUE, MAX_UNAVAILABLE_EXPECTED);
            return n == null ? dflt : Integer.toString(n);
        }
        if (v instanceof ScalarNode s && s.getTag().equals(Tag.STR)) {
            Matcher m = PERCENT.matcher(s.getValue());
            if (m.matches() && Integer.parseInt(m.group(1)) == 0) {
                f.problem("maxUnavailable", v, ZERO_UNAVAILABLE + MAX_UNAVAILABLE_EXPECTED);
                return dflt;
            }
            if (m.matches() && Integer.parseInt(m.group(1)) <= 100) {
                // Normalised ("007%" -> "7%") so RolloutPolicy parses it without surprises.
                return Integer.parseInt(m.group(1)) + "%";
            }
            f.problem("maxUnavailable", v, "invalid maxUnavailable " + Fields.quote(s.getValue()) + ": expected "
                    + MAX_UNAVAILABLE_EXPECTED);
            return dflt;
        }
        f.wrongType("maxUnavailable", v, MAX_UNAVAILABLE_EXPECTED);
        return dflt;
    }

    private static HealthCheck healthCheck(Fields f) {
        if (!f.present()) {
            return HealthCheck.DEFAULT;
        }
        HealthCheck d = HealthCheck.DEFAULT;
        boolean checkIn = f.bool("checkIn", d.checkIn());
        Integer port = f.integer("tcpPort", false, 1, 65535, "a TCP port from 1 to 65535");
        Integer httpPort = f.integer("httpPort", false, 1, 65535, "a TCP port from 1 to 65535");
        String path = f.string("httpPath", false, "an absolute path like /healthz",
                p -> p.startsWith("/") ? null : "httpPath " + Fields.quote(p) + " is not absolute: expected a path"
                        + " starting with /, like /healthz");
        String host = f.string("host", false, "a host name or address; {node} stands for the node's name");
        Integer timeout = f.integer("timeoutSeconds", false, 1, Integer.MAX_VALUE, "a number of seconds > 0");
        return new HealthCheck(checkIn, port == null ? d.tcpPort() : port, httpPort,
                path == null ? d.httpPath() : path, host == null ? d.host() : host,
                Objects.requireNonNullElse(timeout, d.timeoutSeconds()));
    }
}
