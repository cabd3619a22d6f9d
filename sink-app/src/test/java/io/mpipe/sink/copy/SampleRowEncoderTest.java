package io.mpipe.sink.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class SampleRowEncoderTest {

    @Test
    void shouldWriteThePostgresBinaryCopyLayout() {
        byte[] buf = new byte[SampleRowEncoder.HEADER_BYTES + SampleRowEncoder.ROW_BYTES + SampleRowEncoder.TRAILER_BYTES];
        int pos = SampleRowEncoder.header(buf, 0);
        assertThat(pos).isEqualTo(19);
        long ts = 1_700_000_000_123L;
        pos = SampleRowEncoder.row(buf, pos, 42L, ts, 2.5);
        pos = SampleRowEncoder.trailer(buf, pos);
        assertThat(pos).isEqualTo(buf.length);

        ByteBuffer b = ByteBuffer.wrap(buf);
        byte[] sig = new byte[11];
        b.get(sig);
        assertThat(sig).isEqualTo(new byte[] {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0});
        assertThat(b.getInt()).isZero(); // flags
        assertThat(b.getInt()).isZero(); // header extension
        assertThat(b.getShort()).isEqualTo((short) 3);
        assertThat(b.getInt()).isEqualTo(8);
        assertThat(b.getLong()).isEqualTo(42L);
        assertThat(b.getInt()).isEqualTo(8);
        assertThat(b.getLong()).isEqualTo((ts - 946_684_800_000L) * 1000L);
        assertThat(b.getInt()).isEqualTo(8);
        assertThat(Double.longBitsToDouble(b.getLong())).isEqualTo(2.5);
        assertThat(b.getShort()).isEqualTo((short) -1);
    }

    @Test
    void shouldEncodeTimesBeforeTheYear2000AsNegativeMicros() {
        byte[] buf = new byte[SampleRowEncoder.ROW_BYTES];
        SampleRowEncoder.row(buf, 0, 1, 0L, Double.NaN);
        ByteBuffer b = ByteBuffer.wrap(buf);
        b.position(2 + 12 + 4);
        assertThat(b.getLong()).isEqualTo(-946_684_800_000_000L);
        b.position(2 + 24 + 4);
        assertThat(Double.isNaN(Double.longBitsToDouble(b.getLong()))).isTrue();
    }
}
