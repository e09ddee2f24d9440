package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void controlCharactersBecomeVisibleEscapesAndTheRestStays() {
        assertThat(Printable.of("disk gone\n12:00:00.000 INFO forged\r\t\u001b[2J\u0000\u0085"))
                .isEqualTo("disk gone\\n12:00:00.000 INFO forged\\r\\t\\u001b[2J\\u0000\\u0085");
        assertThat(Printable.of("a\u2028b\u202Ec")).isEqualTo("a\\u2028b\\u202ec");
        String plain = "café C:\\path \"quoted\" 💾";
        assertThat(Printable.of(plain)).isSameAs(plain);
        assertThat(Printable.of(null)).isNull();
    }
}
