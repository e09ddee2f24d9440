package dev.plinth.kubernetes.testing;

import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.BareMetalNodeSpec;
import dev.plinth.kubernetes.crd.BmcSpec;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.kubernetes.crd.DiskImageSpec;
import dev.plinth.kubernetes.crd.ObjectRef;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

/** Custom resources and Secrets as a user would write them. */
public final class Fixtures {
    private Fixtures() {}

    public static DiskImageResource image(String namespace, String name) {
        DiskImageResource i = new DiskImageResource();
        i.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        i.setSpec(new DiskImageSpec());
        i.getSpec().url = "http://images.test/" + name + ".raw";
        i.getSpec().checksum = "sha256:" + "ab".repeat(32);
        i.getSpec().format = DiskImageSpec.Format.RAW;
        i.getSpec().compression = DiskImageSpec.Compression.NONE;
        return i;
    }

    public static BareMetalNodeResource node(String namespace, String name, int index, String image) {
        BareMetalNodeResource n = new BareMetalNodeResource();
        n.setMetadata(new ObjectMetaBuilder().withNamespace(namespace).withName(name).build());
        BareMetalNodeSpec s = new BareMetalNodeSpec();
        s.bmc = new BmcSpec();
        s.bmc.address = "ipmi://10.1." + (index / 250) + "." + (index % 250 + 1) + ":623";
        s.bmc.credentialsName = "bmc-" + name;
        s.bootMACAddress = String.format("52:54:00:%02x:%02x:%02x", (index >> 16) & 0xff, (index >> 8) & 0xff,
                index & 0xff);
        s.online = true;
        s.image = image == null ? null : new ObjectRef(image);
        n.setSpec(s);
        return n;
    }

    public static Secret credentials(String namespace, String name, String user, String password) {
        return new SecretBuilder().withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .addToStringData("username", user).addToStringData("password", password).build();
    }
}
