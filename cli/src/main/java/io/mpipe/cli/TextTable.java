package io.mpipe.cli;

import java.util.List;

/** Rows of text in columns as wide as their widest cell, two spaces apart: the commands' tables. */
final class TextTable {

    private TextTable() {
    }

    static String format(List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].codePointCount(0, r[i].length()));
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                sb.append(r[i]).append(" ".repeat(w[i] - r[i].codePointCount(0, r[i].length())));
                if (i < r.length - 1) {
                    sb.append("  ");
                }
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
