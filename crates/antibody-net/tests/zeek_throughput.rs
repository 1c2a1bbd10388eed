//! Rough conn.log TSV throughput; run in release:
//! `cargo test --release -p antibody-net --test zeek_throughput -- --ignored --nocapture`.

use antibody_net::model::{NetRecord, RecordSink};
use antibody_net::zeek::ZeekReader;

struct Count(u64);
impl RecordSink for Count {
    fn record(&mut self, _: NetRecord) {
        self.0 += 1;
    }
}

#[test]
#[ignore = "timing; run in release"]
fn conn_tsv_throughput() {
    let mut data = String::from(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n",
    );
    let mut i = 0u64;
    while data.len() < 200 << 20 {
        data.push_str(&format!(
            "{}.{:06}\tC{:016x}\t192.0.2.{}\t{}\t198.51.100.{}\t443\ttcp\tssl\t{}.{:06}\t{}\t{}\tSF\tT\tF\t0\tShADadFf\t{}\t{}\t{}\t{}\t-\n",
            1_700_000_000 + i / 10,
            i % 1_000_000,
            i.wrapping_mul(0x9e37_79b9),
            i % 250,
            1024 + i % 60000,
            i % 200,
            i % 30,
            i % 999_999,
            i % 5000,
            i % 90000,
            i % 40,
            i % 7000,
            i % 60,
            i % 95000
        ));
        i += 1;
    }
    let mut reader = ZeekReader::new();
    let mut sink = Count(0);
    let start = std::time::Instant::now();
    let stats = reader.read(data.as_bytes(), "conn.log", &mut sink).unwrap();
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(stats.records, i);
    assert_eq!(stats.bad_lines, 0);
    eprintln!(
        "conn.log TSV: {} MB, {} lines in {secs:.2} s = {:.0} MB/s",
        data.len() >> 20,
        i,
        data.len() as f64 / 1e6 / secs
    );
}
