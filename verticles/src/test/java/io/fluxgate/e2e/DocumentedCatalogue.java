package io.fluxgate.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The catalogue tables of {@code docs/events.md}: every operation with its required and optional fields. */
record DocumentedCatalogue(Map<String, Entry> operations) {

  /** One documented operation: its stream and fields ({@code R} always present, {@code O} present when set). */
  record Entry(String stream, Set<String> required, Set<String> optional) {
    boolean lists(String field) {
      return required.contains(field) || optional.contains(field);
    }
  }

  private static final Pattern STREAM = Pattern.compile("^### (\\w+) stream\\s*$");
  private static final Pattern ROW = Pattern.compile("^\\| `([a-z_.]+)` \\|[^|]*\\| (.*) \\|\\s*$");
  private static final Pattern PART = Pattern.compile("([RO]) `([^`]*)`");

  static DocumentedCatalogue read(Path docs) throws IOException {
    List<String> lines = Files.readAllLines(docs);
    int start = lines.indexOf("## Catalogue");
    if (start < 0) {
      throw new IllegalStateException(docs + " has no '## Catalogue' section");
    }
    Map<String, Entry> operations = new LinkedHashMap<>();
    String stream = null;
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.startsWith("## ")) {
        break;
      }
      Matcher heading = STREAM.matcher(line);
      if (heading.matches()) {
        stream = heading.group(1);
        continue;
      }
      Matcher row = ROW.matcher(line);
      if (row.matches() && stream != null) {
        Set<String> required = new LinkedHashSet<>();
        Set<String> optional = new LinkedHashSet<>();
        Matcher part = PART.matcher(row.group(2));
        while (part.find()) {
          for (String field : part.group(2).split(",\\s*")) {
            (part.group(1).equals("R") ? required : optional).add(field.trim());
          }
        }
        operations.put(row.group(1), new Entry(stream, required, optional));
      }
    }
    return new DocumentedCatalogue(operations);
  }
}
