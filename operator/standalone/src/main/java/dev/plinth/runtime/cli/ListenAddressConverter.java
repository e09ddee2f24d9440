package dev.plinth.runtime.cli;

import dev.plinth.runtime.http.ListenAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code HOST:PORT} or {@code [IPV6]:PORT}, with picocli's one-line "Invalid value for option" on error. */
final class ListenAddressConverter implements ITypeConverter<ListenAddress> {
    @Override
    public ListenAddress convert(String value) {
        try {
            return ListenAddress.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
