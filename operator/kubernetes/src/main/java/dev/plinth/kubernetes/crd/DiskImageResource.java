package dev.plinth.kubernetes.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** kind: DiskImage, an OS image the fleet runs. */
@Group(Crds.GROUP)
@Version(Crds.VERSION)
@Kind("DiskImage")
@Plural("diskimages")
@Singular("diskimage")
@ShortNames("dimg")
@AdditionalPrinterColumn(name = "Format", jsonPath = ".spec.format", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "URL", jsonPath = ".spec.url", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class DiskImageResource extends CustomResource<DiskImageSpec, SimpleStatus> implements Namespaced {
}
