package dev.plinth.diff;

import dev.plinth.core.fleet.RoleResolver;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * What putting a revision in force would change, like {@code terraform plan}: pure comparison of two desired
 * states, with the machine-level consequence of each change.
 */
public record Plan(List<Change> changes) {

    public static Plan between(DesiredState current, DesiredState next) {
        List<Change> changes = new ArrayList<>();
        compare(changes, DiskImage.KIND, current.images(), next.images(), Plan::imageFields, (a, b) -> "");
        compare(changes, BareMetalNode.KIND, current.nodes(), next.nodes(), Plan::nodeFields,
                (a, b) -> nodeConsequence(current, next, a, b));
        compare(changes, Cloud.KIND, current.clouds(), next.clouds(), Plan::cloudFields, (a, b) -> "");
        // a node's image can change through a shared DiskImage or a Cloud role without the node document changing
        for (BareMetalNode node : next.nodes().values()) {
            BareMetalNode before = current.nodes().get(node.name());
            if (before != null && before.equals(node)) {
                String consequence = nodeConsequence(current, next, before, node);
                if (!consequence.isEmpty()) {
                    changes.add(new Change(Change.Kind.CHANGE, BareMetalNode.KIND, node.name(),
                            List.of("image (through its DiskImage or Cloud role)"), consequence));
                }
            }
        }
        return new Plan(changes);
    }

    public boolean isEmpty() {
        return changes.isEmpty();
    }

    public long count(Change.Kind kind) {
        return changes.stream().filter(c -> c.kind() == kind).count();
    }

    public long reprovisions() {
        return changes.stream().filter(c -> c.consequence().startsWith("reprovision")).count();
    }

    private static <T> void compare(List<Change> out, String kind, Map<String, T> before, Map<String, T> after,
            BiFunction<T, T, List<String>> fields, BiFunction<T, T, String> consequence) {
        TreeSet<String> names = new TreeSet<>(before.keySet());
        names.addAll(after.keySet());
        for (String name : names) {
            T a = before.get(name);
            T b = after.get(name);
            if (a == null) {
                out.add(new Change(Change.Kind.ADD, kind, name, List.of(), consequence.apply(null, b)));
            } else if (b == null) {
                out.add(new Change(Change.Kind.REMOVE, kind, name, List.of(), consequence.apply(a, null)));
            } else if (!a.equals(b)) {
                out.add(new Change(Change.Kind.CHANGE, kind, name, fields.apply(a, b), consequence.apply(a, b)));
            }
        }
    }

    private static String nodeConsequence(DesiredState current, DesiredState next, BareMetalNode a,
            BareMetalNode b) {
        if (b == null) {
            return "deprovision: power off and forget";
        }
        Optional<String> newImage = RoleResolver.imageFor(next, b).map(i -> i.name() + "@" + shortSum(i));
        if (a == null) {
            return "register" + newImage.map(i -> ", provision with " + i).orElse(", keep available (no image)");
        }
        Optional<String> oldImage = RoleResolver.imageFor(current, a).map(i -> i.name() + "@" + shortSum(i));
        if (!oldImage.equals(newImage)) {
            return newImage.map(i -> "reprovision with " + i + oldImage.map(o -> " (was " + o + ")").orElse(""))
                    .orElse("stop managing its image: power off, keep available");
        }
        if (a.spec().online() != b.spec().online()) {
            return b.spec().online() ? "power on" : "power off";
        }
        return "";
    }

    private static String shortSum(DiskImage i) {
        return i.spec().sha256().substring(0, 12);
    }

    private static List<String> imageFields(DiskImage a, DiskImage b) {
        List<String> f = new ArrayList<>();
        field(f, "spec.url", a.spec().url(), b.spec().url());
        field(f, "spec.checksum", a.spec().checksum(), b.spec().checksum());
        field(f, "spec.format", a.spec().format(), b.spec().format());
        field(f, "spec.compression", a.spec().compression(), b.spec().compression());
        return f;
    }

    private static List<String> nodeFields(BareMetalNode a, BareMetalNode b) {
        List<String> f = new ArrayList<>();
        field(f, "metadata.labels", a.metadata().labels(), b.metadata().labels());
        field(f, "spec.bmc.address", a.spec().bmc().address(), b.spec().bmc().address());
        field(f, "spec.bmc.credentialsName", a.spec().bmc().credentialsName(), b.spec().bmc().credentialsName());
        field(f, "spec.bmc.disableCertificateVerification", a.spec().bmc().disableCertificateVerification(),
                b.spec().bmc().disableCertificateVerification());
        field(f, "spec.bmc.bootMethod", a.spec().bmc().bootMethod(), b.spec().bmc().bootMethod());
        field(f, "spec.bmc.deployNetwork", a.spec().bmc().deployNetwork(), b.spec().bmc().deployNetwork());
        field(f, "spec.bootMACAddress", a.spec().bootMACAddress(), b.spec().bootMACAddress());
        field(f, "spec.online", a.spec().online(), b.spec().online());
        field(f, "spec.image", name(a.spec().image()), name(b.spec().image()));
        field(f, "spec.rootDeviceHints", a.spec().rootDeviceHints(), b.spec().rootDeviceHints());
        return f;
    }

    private static List<String> cloudFields(Cloud a, Cloud b) {
        List<String> f = new ArrayList<>();
        Map<String, CloudRole> before = new java.util.LinkedHashMap<>();
        a.spec().roles().forEach(r -> before.put(r.name(), r));
        for (CloudRole r : b.spec().roles()) {
            CloudRole old = before.remove(r.name());
            String at = "spec.roles[" + r.name() + "]";
            if (old == null) {
                f.add(at + ": added");
                continue;
            }
            field(f, at + ".count", old.count(), r.count());
            field(f, at + ".nodeSelector", old.nodeSelector(), r.nodeSelector());
            field(f, at + ".image", name(old.image()), name(r.image()));
            field(f, at + ".rollout", old.rollout(), r.rollout());
            field(f, at + ".healthCheck", old.healthCheck(), r.healthCheck());
        }
        before.keySet().forEach(name -> f.add("spec.roles[" + name + "]: removed"));
        return f;
    }

    private static String name(dev.plinth.api.ResourceRef ref) {
        return ref == null ? null : ref.name();
    }

    private static void field(List<String> out, String path, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            out.add(path + ": " + a + " -> " + b);
        }
    }
}
