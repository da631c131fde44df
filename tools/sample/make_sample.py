#!/usr/bin/env python3
"""Regenerate Tangkal's bundled sample data in data/sample/.

Every text below was written by the Tangkal team for demos and tests; the people, accounts,
outlets, phone numbers and links are invented (links use the reserved `.example` domain).
The output is deterministic: a fixed seed, no dependence on PYTHONHASHSEED, stdlib only.

    python3 tools/sample/make_sample.py            # writes data/sample/*.jsonl
    python3 tools/sample/make_sample.py --check    # regenerates in memory and diffs against the files
"""

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import random
import re
import sys

SEED = 20240214
START = dt.datetime(2024, 2, 12, 0, 0, 0, tzinfo=dt.timezone.utc)
END = START + dt.timedelta(days=5)
WIB = dt.timedelta(hours=7)
ID_BASE = 2400001
PLATFORMS_SOCIAL = ["x", "facebook", "instagram", "tiktok", "youtube", "whatsapp", "telegram"]
CROSS_WEIGHTS = [18, 24, 10, 10, 4, 26, 8]

# --------------------------------------------------------------------------------------------
# Narratives: label, home platform, copies (including coordinated ones), start (hours after
# START), median delay between a post and a copy of it (minutes), variant texts, topic tags.
# --------------------------------------------------------------------------------------------

NARRATIVES = [
    dict(label="loker-bumn-tanpa-tes", home="whatsapp", copies=18, start=3, delay=90,
         tags=["#lokerbumn", "#lowongankerja", "#loker2024", "#infoloker"],
         texts=[
             "LOWONGAN KERJA BUMN 2024 dibuka kembali untuk lulusan SMA/SMK, D3 dan S1. Tanpa tes "
             "tertulis, langsung interview online. Gaji pokok Rp 8.500.000 + tunjangan + mess. Penempatan "
             "seluruh Indonesia. Pendaftaran hanya sampai tanggal 17 Februari, kuota terbatas 250 orang. "
             "Kirim CV dan foto KTP lewat link berikut: http://rekrutmen-bumn-2024.example/daftar. Tidak "
             "dipungut biaya apapun.",
             "Info loker BUMN terbaru!! Dibutuhkan segera staf administrasi, operator gudang dan driver. "
             "Lulusan SMA/SMK bisa daftar, tanpa tes tertulis, langsung interview online, gaji 8,5 juta plus "
             "mess. Kirim CV dan foto KTP sebelum 17 Februari lewat http://rekrutmen-bumn-2024.example/daftar "
             "kuota cuma 250 orang.",
         ]),
    dict(label="loker-pabrik-biaya-seragam", home="facebook", copies=12, start=20, delay=240,
         tags=["#lokercikarang", "#lowongankerja", "#lokerpabrik", "#lokerbekasi"],
         texts=[
             "Dibutuhkan 40 orang operator produksi untuk pabrik minuman kemasan di kawasan industri "
             "Cikarang. Syarat: pria/wanita usia 18-35 tahun, minimal lulusan SMP, sehat jasmani dan rohani. "
             "Langsung kerja minggu depan, gaji UMK + lembur + uang makan. Peminat hubungi Ibu Ratna bagian "
             "HRD di WA 0812-0000-4417. Pendaftar wajib transfer biaya seragam dan ID card Rp 350.000 "
             "sebelum jadwal training.",
         ]),
    dict(label="blt-600-ribu-link-daftar", home="facebook", copies=30, start=5, delay=120,
         tags=["#bansos", "#blt", "#bantuansosial", "#bltcair", "#infobansos"],
         texts=[
             "Alhamdulillah BLT Rp 600.000 tahap 2 sudah cair bulan Februari ini! Bagi yang belum terdaftar "
             "silakan cek nama penerima dan daftar lewat link resmi berikut, cukup masukkan NIK dan upload "
             "foto KTP serta KK: https://cek-bansos-2024.example/penerima. Pendaftaran ditutup 3 hari lagi, "
             "jangan sampai ketinggalan. Bagikan ke keluarga yang membutuhkan.",
         ]),
    dict(label="kuota-gratis-75gb-pemilu", home="whatsapp", copies=10, start=28, delay=150,
         tags=["#kuotagratis", "#kuotapemilu", "#gratis"],
         texts=[
             "Kabar gembira! Kementerian membagikan kuota internet gratis 75GB untuk semua operator selama "
             "masa pemilu. Cara klaimnya gampang, cukup isi nomor HP di link ini: "
             "http://kuota-gratis-pemilu.example lalu bagikan ke 10 grup WhatsApp. Kuota langsung masuk dalam "
             "1x24 jam. Aku sudah coba dan berhasil 😍",
         ]),
    dict(label="surat-suara-sudah-tercoblos", home="x", copies=26, start=26, delay=60,
         tags=["#pemilu2024", "#kawalsuara", "#kecuranganpemilu", "#tolakcurang"],
         texts=[
             "BREAKING: Ribuan surat suara SUDAH TERCOBLOS ditemukan di gudang logistik kecamatan, semua "
             "untuk satu paslon. Petugas gudang diam saja waktu ditanya warga. Ini bukti kecurangan sudah "
             "dirancang sebelum hari H! KPU harus bertanggung jawab. Video lengkapnya sudah beredar di "
             "grup-grup, sebelum dihapus sebarkan!",
             "Warga temukan berkarung-karung surat suara yang sudah tercoblos di gudang logistik kecamatan. "
             "Semuanya untuk satu paslon. KPU diam, Bawaslu diam. Ini bukti kecurangan sudah dirancang "
             "sebelum hari H!",
         ]),
    dict(label="quick-count-sudah-diatur", home="x", copies=20, start=57, delay=45,
         tags=["#quickcount", "#pemilu2024", "#kawalC1", "#sirekap"],
         texts=[
             "Hasil quick count sudah diatur sejak seminggu lalu! Lembaga survei dibayar untuk menampilkan "
             "angka yang sama, dan server KPU disetting supaya Sirekap mengikuti angka quick count. Jangan "
             "percaya hitung cepat, kawal C1 di TPS masing-masing. Rakyat tidak bodoh!",
         ]),
    dict(label="tinta-pemilu-lemak-babi", home="whatsapp", copies=8, start=30, delay=180,
         tags=["#tintapemilu", "#pemilu2024", "#halal"],
         texts=[
             "Hati-hati saudaraku, tinta pemilu tahun ini katanya diimpor dan mengandung lemak babi, makanya "
             "cepat hilang kalau dicuci. Kalau jari dicelup, wudhu dan sholat kita tidak sah. Minta petugas "
             "TPS menandai dengan cara lain atau tolak dicelup. Sebarkan ke sesama muslim.",
         ]),
    dict(label="kpps-diracun-nasi-kotak", home="facebook", copies=6, start=80, delay=200,
         tags=["#kpps", "#pemilu2024", "#usutTuntas"],
         texts=[
             "Innalillahi, tiga petugas KPPS di satu desa meninggal bersamaan setelah makan nasi kotak "
             "kiriman saat penghitungan suara. Diduga sengaja diracun supaya tidak bisa bersaksi soal "
             "kecurangan. Media tidak ada yang berani memberitakan. Tolong viralkan agar diusut!",
         ]),
    dict(label="cek-tps-pindah-link-nik", home="whatsapp", copies=10, start=8, delay=160,
         tags=["#cekdpt", "#pemilu2024", "#ayonyoblos"],
         texts=[
             "PENTING!! Pemilih yang KTP-nya beda domisili WAJIB cek ulang lokasi TPS, karena banyak yang "
             "dipindah mendadak tanpa pemberitahuan. Kalau nama tidak muncul, suara dianggap hangus. Cek di "
             "sini pakai NIK dan nama ibu kandung: http://cek-dpt-online.example/tps. Batas cek besok jam 12 "
             "siang.",
         ]),
    dict(label="vaksin-booster-nanochip", home="facebook", copies=12, start=14, delay=300,
         tags=["#vaksin", "#tolakvaksin", "#sadarlah", "#5G"],
         texts=[
             "Dokter dari luar negeri akhirnya buka suara: vaksin booster yang sedang digencarkan lagi "
             "mengandung nanochip yang bisa dilacak lewat sinyal 5G. Buktinya koin dan magnet bisa menempel "
             "di bekas suntikan. Jangan mau divaksin lagi, lindungi anak cucu kita. Tonton sebelum video ini "
             "diturunkan!",
         ]),
    dict(label="rebusan-daun-salam-diabetes", home="facebook", copies=14, start=2, delay=400,
         tags=["#herbal", "#diabetes", "#obatalami", "#resepnenek"],
         texts=[
             "Resep turun temurun: rebus 7 lembar daun salam, 2 batang serai dan sejengkal kayu manis dengan "
             "3 gelas air sampai tinggal 1 gelas. Minum tiap pagi sebelum makan. Dalam 3 hari gula darah "
             "kembali normal dan bisa berhenti minum obat diabetes dari dokter. Pabrik obat tidak mau resep "
             "ini diketahui orang banyak. Bagikan, siapa tahu menyelamatkan keluarga kita.",
         ]),
    dict(label="undian-belanja-hemat-mobil", home="whatsapp", copies=15, start=40, delay=200,
         tags=["#undian", "#selamat", "#hadiah"],
         texts=[
             "Selamat! Nomor WhatsApp Anda terpilih sebagai pemenang ke-3 Undian Berhadiah Ulang Tahun Belanja "
             "Hemat 2024 dan berhak atas 1 unit mobil serta uang tunai Rp 25.000.000. Kode pemenang: BH-7731. "
             "Untuk proses klaim hadiah segera hubungi Manajer Undian di 0813-0000-2290 sebelum batas waktu "
             "berakhir. Info resmi: http://undian-belanjahemat.example",
         ]),
    dict(label="apk-kurir-foto-paket", home="whatsapp", copies=16, start=10, delay=220,
         tags=["#waspadapenipuan", "#apk", "#kurir"],
         texts=[
             "Permisi kak, saya kurir dari Ekspedisi Kilat. Paket atas nama kakak tertahan di gudang karena "
             "alamat kurang lengkap. Mohon dicek dulu foto paket dan nomor resinya di file ini ya kak 🙏 "
             "Lihat_Foto_Paket.apk",
             "Selamat siang kak, saya dari kurir Ekspedisi Kilat. Paket kakak belum bisa diantar karena alamat "
             "kurang lengkap, tolong dicek foto paket dan nomor resinya di sini ya kak: Lihat_Foto_Paket.apk",
         ]),
    dict(label="prediksi-gempa-susulan-8-7", home="whatsapp", copies=18, start=36, delay=25,
         tags=["#gempa", "#infogempa", "#waspada", "#bmkg"],
         texts=[
             "INFO DARI TEMAN YANG KERJA DI BMKG: malam ini sekitar jam 22.00-23.00 WIB diprediksi akan "
             "terjadi gempa susulan yang lebih besar, kekuatan 8,7 SR. Warga diminta tidur di luar rumah dan "
             "siapkan tas siaga. Jangan panik tapi tetap waspada. Ini info A1, belum diumumkan resmi supaya "
             "tidak terjadi kepanikan.",
         ]),
    dict(label="tsunami-pantai-selatan-surut", home="telegram", copies=10, start=62, delay=30,
         tags=["#tsunami", "#pantaiselatan", "#waspada"],
         texts=[
             "Air laut di pantai selatan sudah surut hampir 200 meter sejak sore tadi. Menurut nelayan setempat "
             "ini tanda tsunami akan datang dalam 2 jam. Warga pesisir segera mengungsi ke dataran tinggi, "
             "jangan tunggu sirene!!",
         ]),
    dict(label="kutipan-menkeu-gaji-pns", home="x", copies=12, start=74, delay=120,
         tags=["#PNS", "#ASN", "#gajiPNS"],
         texts=[
             "Menteri Keuangan: \"Gaji PNS dan pensiunan tidak akan naik tahun ini, anggarannya dialihkan "
             "untuk membayar bunga utang dan proyek ibu kota baru.\" Gimana perasaan kalian para ASN? Sudah "
             "capek kerja malah begini.",
         ]),
    dict(label="kutipan-gubernur-ancam-bansos", home="facebook", copies=8, start=50, delay=180,
         tags=["#pemilu2024", "#bansos", "#netralitas"],
         texts=[
             "Pak Gubernur ngomong terang-terangan di acara warga: \"Kalau desanya kalah di TPS, bansos tahun "
             "depan kami evaluasi.\" Ini namanya ancaman! Rekaman suaranya ada, tinggal tunggu diviralkan.",
         ]),
    dict(label="pemadaman-listrik-jawa-bali-3-hari", home="whatsapp", copies=10, start=78, delay=90,
         tags=["#pln", "#pemadaman", "#listrikpadam"],
         texts=[
             "Pengumuman dari PLN: akan ada pemadaman listrik total se-Jawa Bali selama 3 hari mulai 15 sampai "
             "17 Februari karena perbaikan gardu induk pasca pemilu. Siapkan lilin, air bersih dan isi daya HP "
             "dari sekarang. Mohon diteruskan ke keluarga.",
         ]),
    dict(label="penculikan-anak-van-putih", home="facebook", copies=12, start=86, delay=120,
         tags=["#penculikananak", "#waspada", "#infowalimurid"],
         texts=[
             "Waspada para orang tua!! Sedang marak penculikan anak SD dengan modus pura-pura minta air minum, "
             "pelaku pakai mobil van putih tanpa plat nomor. Kemarin sudah ada 2 anak hilang di dekat sekolah. "
             "Jangan biarkan anak pulang sendiri dan jangan mau diajak bicara orang asing. Info dari grup wali "
             "murid.",
         ]),
    dict(label="whatsapp-berbayar-logo-biru", home="whatsapp", copies=8, start=96, delay=150,
         tags=["#whatsapp", "#info"],
         texts=[
             "Mulai besok WhatsApp akan berbayar Rp 25.000 per bulan. Pengguna yang meneruskan pesan ini ke 20 "
             "kontak akan mendapat logo biru dan tetap gratis selamanya. Ini sudah dikonfirmasi oleh pihak "
             "WhatsApp. Kirim sekarang, logo langsung berubah biru.",
         ]),
]

# A news article that is re-shared with comments: a narrative that is not a hoax.
NEWS_RESHARE = dict(
    label="berita-bmkg-tidak-ada-prediksi-gempa", outlet=0, start=49,
    title="BMKG Tegaskan Gempa Tidak Dapat Diprediksi, Warga Diminta Abaikan Pesan Berantai",
    lead="Badan Meteorologi, Klimatologi, dan Geofisika menegaskan bahwa hingga kini belum ada teknologi yang "
         "mampu memprediksi waktu, lokasi, dan kekuatan gempa secara tepat. Pernyataan itu disampaikan setelah "
         "pesan berantai tentang gempa susulan berkekuatan besar beredar di sejumlah grup percakapan.",
    comments=["Nah ini klarifikasinya, jangan panik ya gaes", "Tolong yang kemarin nyebarin info gempa jam 10 "
              "malam baca ini dulu", "Sudah dibantah resmi. Stop sebar pesan berantai 🙏"],
)

COORDINATED = [
    # group, narrative, platform, network, accounts, waves (hours after the narrative start, share of accounts)
    dict(group="c01-surat-suara", narrative="surat-suara-sudah-tercoblos", platform="x", network="A",
         accounts=9, waves=[(1.2, 1.0), (13.5, 0.67)]),
    dict(group="c02-quick-count", narrative="quick-count-sudah-diatur", platform="x", network="A",
         accounts=7, waves=[(2.0, 1.0), (20.0, 0.72)]),
    dict(group="c03-blt-link", narrative="blt-600-ribu-link-daftar", platform="facebook", network="B",
         accounts=11, waves=[(6.0, 1.0), (30.0, 0.64)]),
]

BOT_HANDLES = {
    "A": ["suara_rakyat_jujur", "kawal_suara_2024", "rina_kusuma_77", "nkri_bangkit88", "andi.pratama21",
          "rakyat_melek_01", "garda_demokrasi_id", "dewi_lestari_0309", "bayu_nusantara", "pejuang_c1"],
    "B": ["info.bansos.terkini", "siti.aminah.9912", "bantuan.rakyat.sejahtera", "ibu.yuli.handayani",
          "info_blt_2024", "wahyu.setiawan.3101", "kabar.bansos.hari.ini", "nur.hasanah.778",
          "peduli.warga.kecil", "agus.salim.5521", "cek.bansos.online", "rahmawati.dewi.21"],
}

# --------------------------------------------------------------------------------------------
# Singletons: everyday posts, near misses that share a topic with a narrative but are not copies,
# and posts about hoaxes in the posters' own words.
# --------------------------------------------------------------------------------------------

SINGLETONS = [
    ("x", "Hari tenang tapi grup keluarga malah makin ribut 😂 mending masak indomie aja"),
    ("x", "Besok nyoblos jam berapa gaes? TPS gue buka jam 7 katanya, mau dateng pagi biar gak antre"),
    ("x", "Barusan cek DPT di situs resmi KPU, alhamdulillah nama ada. Cukup pake NIK, gak perlu isi nama ibu kandung ya"),
    ("x", "Kereta pagi ini telat 15 menit lagi. Kantor udah kayak lomba lari tiap Senin"),
    ("x", "Valentine sama hari pencoblosan barengan, jadi ngedate-nya ke TPS aja 🗳️❤️"),
    ("x", "Harga beras di warung deket rumah udah 16 ribu sekilo. Kapan turunnya ini"),
    ("x", "Ada yang dapet chat kurir ngirim file .apk gak? Jangan dibuka, temen kantor gue kebobolan m-banking gara-gara itu"),
    ("x", "Nonton debat tadi malem, moderatornya paling sabar sedunia"),
    ("x", "Timnas U-23 latihan lagi minggu ini, semoga komposisi pemainnya gak banyak berubah"),
    ("x", "Tips: kalau dapat link pendaftaran bansos lewat WA, cek dulu alamat situsnya. Situs pemerintah pakai go.id, bukan domain aneh-aneh"),
    ("x", "Udah jam 2 pagi dan gue masih revisi skripsi bab 4. Dosen pembimbing please ACC"),
    ("x", "Jalanan Sudirman lancar banget pagi ini, efek libur pemilu kayaknya"),
    ("x", "Quick count itu metode statistik, yang resmi tetap rekapitulasi berjenjang KPU. Sabar nunggu hasil resmi ya"),
    ("x", "Kucing gue tidur di atas laptop pas lagi meeting. Produktivitas: nol"),
    ("x", "Gempa tadi kerasa sampe lantai 12 kantor, semua langsung turun lewat tangga darurat. Semoga gak ada korban"),
    ("x", "Rekomendasi kopi susu gula aren yang gak kemanisan di daerah Tebet dong"),
    ("x", "Jari ungu ✅ Sudah nyoblos, sekarang waktunya tidur siang"),
    ("x", "Thread: cara bedain pesan resmi bank sama pesan penipuan. 1) bank gak pernah minta OTP 2) cek nomor pengirim 3) jangan klik link pendek"),
    ("x", "Ojol hari ini susah banget dapetnya, semua lagi pulang kampung buat nyoblos"),
    ("x", "Gak kerasa udah pertengahan Februari, resolusi tahun baru gue baru jalan 10 persen"),
    ("facebook", "Selamat Tahun Baru Imlek bagi saudara-saudara yang merayakan. Semoga rezeki melimpah dan sehat selalu 🧧"),
    ("facebook", "Dijual cepat motor matic tahun 2019, surat lengkap, pajak hidup, mulus terawat. Harga nego tipis, lokasi Sleman. Minat inbox"),
    ("facebook", "Mohon doanya, bapak saya sedang dirawat di rumah sakit karena tekanan darah tinggi. Semoga lekas pulih"),
    ("facebook", "Arisan RT bulan ini diundur ke hari Minggu karena Rabu ada pemilu. Mohon ibu-ibu dicatat ya"),
    ("facebook", "Lowongan: Toko bangunan kami membutuhkan 1 orang admin gudang, lulusan SMK, bisa Excel. Lamaran diantar langsung ke toko, tidak dipungut biaya"),
    ("facebook", "Info resmi penyaluran bantuan hanya diumumkan lewat kantor desa dan situs kementerian. Kalau ada yang minta foto KTP lewat link, jangan dilayani"),
    ("facebook", "Hasil panen cabai tahun ini lumayan, tapi harganya di pengepul cuma 25 ribu. Petani tetap harus sabar"),
    ("facebook", "Terima kasih untuk seluruh petugas KPPS di RW kami yang bekerja sampai subuh. Jasa kalian luar biasa 🙏"),
    ("facebook", "Resep sayur asem ala ibu: asam jawa, melinjo, labu siam, kacang panjang, jagung. Kuahnya seger banget buat makan siang"),
    ("facebook", "Kehilangan dompet coklat di sekitar pasar pagi tadi, berisi KTP dan SIM atas nama Joko. Bagi yang menemukan mohon hubungi saya, ada imbalan"),
    ("facebook", "Alhamdulillah anak kedua kami lahir tadi subuh, ibu dan bayi sehat. Mohon doanya semua"),
    ("facebook", "Jalan desa yang rusak akhirnya mulai diperbaiki minggu ini. Semoga cepat selesai sebelum musim hujan makin deras"),
    ("facebook", "Pengajian rutin malam Jumat tetap jalan seperti biasa di musala Al-Ikhlas, bawa takjil sendiri-sendiri ya"),
    ("facebook", "Ada yang tahu bengkel las yang bagus di daerah Cibinong? Pagar rumah saya rusak kena angin kemarin"),
    ("facebook", "Anak saya baru sembuh tipes, dokter bilang harus jaga makan. Ada saran menu yang gampang dimasak?"),
    ("facebook", "Saya sudah cek ke puskesmas, vaksin booster untuk lansia masih tersedia dan gratis. Bawa KTP saja"),
    ("facebook", "Banjir setinggi lutut di jalan depan kompleks, motor mending lewat jalan belakang dulu"),
    ("facebook", "Reuni SMP angkatan 2005 jadi diadakan bulan Maret. Yang mau ikut silakan komentar nama lengkap"),
    ("facebook", "Warung kami tutup sementara sampai Senin karena ada acara keluarga. Terima kasih pelanggan setia"),
    ("facebook", "Kata dokter di puskesmas, daun salam boleh buat masak tapi obat diabetes jangan dihentikan sendiri. Gula darah harus tetap dicek rutin"),
    ("instagram", "Weekend vibes di pantai, langitnya cakep banget sore ini 🌅 #senja #liburan"),
    ("instagram", "Outfit nyoblos hari ini: kemeja putih, celana krem, sandal jepit 😎 #pemilu2024 #jariungu"),
    ("instagram", "Open PO kue kering untuk Lebaran! Nastar, kastengel, putri salju. Pemesanan lewat DM ya kak"),
    ("instagram", "Throwback ke Bromo tahun lalu. Dinginnya masih kerasa sampe sekarang 🏔️"),
    ("instagram", "Latihan yoga pagi ini ditemenin gerimis. Napas dulu, kerja belakangan"),
    ("instagram", "Nasi goreng kambing langganan akhirnya buka lagi setelah renovasi! Rasanya masih sama, porsinya makin banyak"),
    ("instagram", "Giveaway kecil-kecilan buat 300 followers: follow, like, tag 3 teman. Pemenang diumumkan Jumat. Tidak ada biaya apapun ya"),
    ("instagram", "Hasil belajar watercolor minggu ketiga, masih berantakan tapi seneng 🎨"),
    ("instagram", "Tanaman monstera di rumah akhirnya keluar daun baru. Kecil-kecil tapi bikin bahagia 🌿"),
    ("instagram", "Prewedding di sawah, fotografernya kreatif banget. Thank you semua yang bantu!"),
    ("instagram", "Kamu tim bubur diaduk atau gak diaduk? Jawab di kolom komentar 👇"),
    ("instagram", "Hari pertama kerja di kantor baru. Deg-degan tapi semangat! 💼"),
    ("tiktok", "POV: kamu petugas KPPS yang udah ngitung suara dari siang sampe jam 3 pagi #kpps #pemilu2024"),
    ("tiktok", "Tutorial bikin es kopi susu dengan modal 10 ribu, rasa kafe! #resep #kopisusu"),
    ("tiktok", "Review jujur sepatu lari lokal harga 300 ribuan, ternyata nyaman banget buat jogging pagi"),
    ("tiktok", "Prank ke ibu bilang nilai rapor jelek, endingnya dikasih uang jajan 😂 #prank #keluarga"),
    ("tiktok", "Cara cek keaslian pesan bansos: buka situs resmi kementerian sosial, masukkan wilayah dan nama, jangan lewat link yang dikirim orang"),
    ("tiktok", "Daily vlog mahasiswa rantau: masak mie, nyuci baju, ngerjain tugas, tidur. Ulangi"),
    ("tiktok", "Dance challenge lagu daerah bareng temen kos, maaf gerakannya belepotan 🤣"),
    ("tiktok", "Kucing oren kalau lapar: teriak sejam. Kalau kenyang: pura-pura gak kenal"),
    ("tiktok", "Jalan-jalan ke pasar malam, jajan cilok, telur gulung, sama kerak telor. Total habis 35 ribu"),
    ("tiktok", "Simulasi evakuasi gempa di sekolah adik aku hari ini, anak-anak belajar berlindung di bawah meja dulu baru keluar"),
    ("tiktok", "Hasil rekap suara di TPS kami ditempel di papan pengumuman, warga bisa foto sendiri. Transparan 👍"),
    ("youtube", "Vlog mudik naik kereta ekonomi, 12 jam perjalanan tapi seru banget ketemu orang baru"),
    ("youtube", "Tutorial ganti oli motor matic sendiri di rumah, hemat biaya bengkel"),
    ("youtube", "Live streaming sholat Jumat dari masjid raya kota kami, silakan bergabung"),
    ("youtube", "Podcast: ngobrolin cara ngajarin orang tua biar gak gampang kena hoaks di grup WA"),
    ("youtube", "Review HP kelas 2 jutaan terbaru, kameranya lumayan buat konten"),
    ("youtube", "Resep rendang daging empuk tanpa presto, dimasak 4 jam dengan api kecil"),
    ("youtube", "Highlight pertandingan Liga 1 pekan ini, gol-gol terbaik dan penyelamatan kiper"),
    ("whatsapp", "Bu, nanti sore jadi jemput adek di sekolah jam 4 ya. Aku masih rapat"),
    ("whatsapp", "Assalamualaikum bapak ibu wali murid, besok Kamis anak-anak masuk seperti biasa, seragam batik. Terima kasih"),
    ("whatsapp", "Mas, titip beli galon 2 sama telur sekilo ya kalau lewat warung"),
    ("whatsapp", "Rapat karang taruna diundur jadi hari Sabtu jam 19.30 di balai warga. Mohon kehadirannya"),
    ("whatsapp", "Info: air PAM di blok C mati sementara sampai jam 3 sore karena perbaikan pipa. Harap menampung air"),
    ("whatsapp", "Kak, pesanan kue sudah siap diambil ya. Total 3 kotak, pembayaran bisa transfer atau tunai"),
    ("whatsapp", "Ma, jangan klik link apapun yang dikirim nomor gak dikenal ya. Kalau ragu tanya aku dulu"),
    ("whatsapp", "Besok kerja bakti bersihin selokan jam 7 pagi, bawa cangkul dan karung masing-masing"),
    ("whatsapp", "Pak RT, surat pengantar buat bikin KK baru bisa diambil kapan ya?"),
    ("whatsapp", "Teman-teman, yang mau ikut patungan kado pernikahan Rina transfer ke aku maksimal Jumat ya"),
    ("telegram", "Update jadwal kuliah pengganti: Statistika dipindah ke Jumat jam 13.00 ruang 204"),
    ("telegram", "Channel ini berisi info lowongan yang sudah kami verifikasi. Ingat: perusahaan resmi tidak pernah minta biaya pendaftaran"),
    ("telegram", "Diskusi buku bulan ini: novel sejarah tentang kehidupan nelayan di pesisir utara. Pertemuan Sabtu sore"),
    ("telegram", "Ringkasan cuaca hari ini: hujan ringan di sebagian besar wilayah pada sore hari, suhu 24-32 derajat"),
    ("telegram", "Promo kopi: beli 2 gratis 1 untuk semua varian sampai akhir bulan, khusus pembelian di outlet"),
    ("telegram", "Pengumuman komunitas: kopdar bulanan dipindah ke kafe dekat stasiun, jam 4 sore"),
    ("telegram", "BMKG mencatat gempa M5,1 di laut selatan, tidak berpotensi tsunami. Tetap tenang dan ikuti info resmi"),
]

NEWS_OUTLETS = [
    ("wartanusantara", "wartanusantara.example"),
    ("kabarsentana", "kabarsentana.example"),
    ("harianpelitaraya", "pelitaraya.example"),
    ("suarateluk", "suarateluk.example"),
]

NEWS_SINGLETONS = [
    (1, "KPU Pastikan Distribusi Logistik Pemilu ke Pulau Terluar Rampung",
     "Komisi Pemilihan Umum menyatakan seluruh logistik pemungutan suara telah tiba di pulau-pulau terluar dua "
     "hari sebelum hari pencoblosan. Pengiriman dilakukan dengan kapal dan pesawat perintis di bawah "
     "pengawalan aparat."),
    (2, "Harga Beras Medium Naik di Sejumlah Pasar Tradisional",
     "Harga beras medium di beberapa pasar tradisional naik sekitar Rp 1.000 per kilogram dalam sepekan "
     "terakhir. Pedagang menyebut pasokan dari daerah sentra produksi berkurang karena panen mundur."),
    (3, "Gempa M5,6 Guncang Wilayah Selatan, Warga Sempat Berhamburan Keluar Rumah",
     "Gempa bermagnitudo 5,6 mengguncang wilayah selatan pada Selasa malam dan dirasakan hingga sejumlah "
     "kabupaten. Badan Meteorologi, Klimatologi, dan Geofisika menyatakan gempa tidak berpotensi tsunami."),
    (0, "Polisi Ungkap Sindikat Penipuan Lowongan Kerja Palsu dengan Ratusan Korban",
     "Kepolisian daerah mengungkap sindikat penipuan berkedok lowongan kerja di perusahaan pelat merah. Para "
     "pelaku meminta korban mentransfer biaya pelatihan dan seragam sebelum menghilang."),
    (1, "Bawaslu Terima Puluhan Laporan Dugaan Pelanggaran Saat Masa Tenang",
     "Badan Pengawas Pemilu menerima puluhan laporan dugaan pelanggaran selama masa tenang, sebagian besar "
     "terkait alat peraga kampanye yang belum diturunkan. Laporan sedang diverifikasi."),
    (2, "Dinas Kesehatan Ingatkan Warga Waspadai Demam Berdarah di Musim Hujan",
     "Dinas kesehatan mengimbau warga menguras penampungan air dan menutup wadah yang bisa menjadi sarang "
     "nyamuk. Kasus demam berdarah dilaporkan meningkat dibanding bulan lalu."),
    (3, "Pemerintah Daerah Buka Posko Aduan Bantuan Sosial",
     "Pemerintah daerah membuka posko aduan untuk warga yang merasa berhak tetapi belum menerima bantuan "
     "sosial. Petugas menegaskan pendaftaran tidak dilakukan melalui tautan yang beredar di media sosial."),
    (0, "Operator Seluler Catat Lonjakan Trafik Data pada Hari Pemungutan Suara",
     "Sejumlah operator seluler mencatat kenaikan trafik data hingga belasan persen pada hari pemungutan "
     "suara. Lonjakan terutama terjadi pada malam hari saat warga memantau hasil hitung cepat."),
    (1, "Kementerian Kominfo Minta Warga Tidak Mengunduh Aplikasi dari Pesan Tak Dikenal",
     "Warga diminta tidak memasang berkas aplikasi yang dikirim melalui pesan singkat, termasuk yang mengaku "
     "dari kurir atau undangan pernikahan. Berkas semacam itu dapat mencuri data perbankan."),
]

# --------------------------------------------------------------------------------------------
# Copy edits.
# --------------------------------------------------------------------------------------------

PREFIXES = ["Sebarkan!!", "copas dari grup sebelah 👇", "Info A1", "VIRALKAN!!!", "Penting, baca sampai habis:",
            "Dari grup sebelah, benar gak ini?", "Forward dari keluarga:", "Mohon dibaca 🙏", "Waspada!!",
            "Ini beneran gak sih?", "Share dari grup alumni:", "URGENT"]
SUFFIXES = ["Sebarkan ke grup lain 🙏", "Jangan berhenti di kamu", "Sumber: grup WA sebelah", "Semoga bermanfaat",
            "Tolong share sebanyak-banyaknya", "Mohon dikoreksi kalau salah", "Copas dari grup RT", "Aamiin",
            "Info valid dari saudara", "Kirim ke 10 grup biar semua tahu!!"]
EMOJI = ["🙏", "😱", "🔥", "⚠️", "‼️", "👇", "😭", "😡", "📢", "❗"]
GENERIC_TAGS = ["#viral", "#infoterkini", "#fyp", "#indonesia", "#waspada", "#sebarkan"]
INFORMAL = {
    "yang": ["yg"], "tidak": ["tdk", "gak", "ga", "nggak"], "sudah": ["udh", "sdh", "udah"],
    "dengan": ["dgn"], "karena": ["krn", "karna"], "untuk": ["utk", "buat"], "banget": ["bgt"],
    "saja": ["aja"], "juga": ["jg"], "sekarang": ["skrg"], "bisa": ["bs"], "tolong": ["tlg"],
    "dari": ["dr"], "orang": ["org"], "belum": ["blm"], "lagi": ["lg"], "kalau": ["kalo", "klo"],
    "sebelum": ["sblm"], "segera": ["segra"], "akan": ["bakal"], "jangan": ["jgn"], "tahun": ["thn"],
}
SHORT_LINKS = ["http://sh.example/bLt24", "http://tautan.example/x9Kq", "http://sh.example/daftar-now",
               "http://tautan.example/info2024"]
URL_RE = re.compile(r"https?://\S+")
KEYBOARD = {"a": "s", "s": "a", "e": "r", "r": "e", "i": "o", "o": "i", "n": "m", "m": "n", "t": "y",
            "u": "y", "k": "j", "l": "k", "d": "f", "g": "h", "h": "g", "b": "v", "p": "o"}


def split_sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def e_prefix(r, t, n):
    return r.choice(PREFIXES) + r.choice([" ", "\n", "\n\n"]) + t


def e_suffix(r, t, n):
    return t + r.choice([" ", "\n", "\n\n"]) + r.choice(SUFFIXES)


def e_hashtags(r, t, n):
    tags = r.sample(n["tags"], k=min(len(n["tags"]), r.randint(1, 3))) + r.sample(GENERIC_TAGS, k=r.randint(0, 2))
    return t + "\n" + " ".join(tags)


def e_emoji(r, t, n):
    e = r.choice(EMOJI) * r.randint(1, 3)
    return e + " " + t if r.random() < 0.5 else t + " " + e


def e_informal(r, t, n):
    def sub(m):
        w = m.group(0)
        alts = INFORMAL.get(w.lower())
        if not alts or r.random() > 0.6:
            return w
        alt = r.choice(alts)
        return alt.upper() if w.isupper() and len(w) > 1 else alt
    return re.sub(r"\b\w+\b", sub, t)


def e_typo(r, t, n):
    words = t.split(" ")
    cands = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    for i in r.sample(cands, k=min(len(cands), r.randint(1, 2))):
        w = words[i]
        j = r.randrange(1, len(w) - 1)
        kind = r.randrange(4)
        if kind == 0:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        elif kind == 1:
            w = w[:j] + w[j + 1:]
        elif kind == 2:
            w = w[:j] + w[j] + w[j:]
        else:
            c = w[j].lower()
            w = w[:j] + KEYBOARD.get(c, c) + w[j + 1:]
        words[i] = w
    return " ".join(words)


def e_case(r, t, n):
    if r.random() < 0.6:
        return t.upper()
    return t.lower()


def e_truncate(r, t, n):
    words = t.split()
    keep = max(8, int(len(words) * r.uniform(0.5, 0.85)))
    if keep >= len(words):
        return t
    return " ".join(words[:keep]) + r.choice(["...", "…", " (bersambung)", "... selengkapnya di grup"])


def e_drop_sentence(r, t, n):
    s = split_sentences(t)
    if len(s) < 3:
        return e_truncate(r, t, n)
    del s[r.randrange(1, len(s))]
    return " ".join(s)


def e_link(r, t, n):
    if not URL_RE.search(t):
        return t + " " + r.choice(SHORT_LINKS)
    if r.random() < 0.5:
        return URL_RE.sub(r.choice(SHORT_LINKS), t, count=1)
    return re.sub(r"\s{2,}", " ", URL_RE.sub("(link di komentar)", t, count=1))


def e_whitespace(r, t, n):
    if r.random() < 0.5:
        return "\n".join(split_sentences(t))
    return re.sub(r"\s*\n\s*", " ", t).replace(". ", ".  ", 1)


def e_punct(r, t, n):
    t = re.sub(r"!+", lambda m: "!" * r.randint(2, 4), t)
    return t.replace('"', "") if r.random() < 0.5 else t.replace(",", "", 1)


EDITS = [(e_prefix, 12), (e_suffix, 12), (e_hashtags, 8), (e_emoji, 8), (e_informal, 12), (e_typo, 10),
         (e_case, 4), (e_truncate, 6), (e_drop_sentence, 5), (e_link, 6), (e_whitespace, 6), (e_punct, 5)]
LIGHT_EDITS = [(e_hashtags, 3), (e_emoji, 3), (e_whitespace, 2), (e_punct, 2), (e_suffix, 1)]


def pick(r, weighted):
    total = sum(w for _, w in weighted)
    x = r.uniform(0, total)
    for f, w in weighted:
        x -= w
        if x <= 0:
            return f
    return weighted[-1][0]


def mutate(r, text, narrative):
    if r.random() < 0.25:
        return text
    n_edits = 1
    while n_edits < 3 and r.random() < 0.4:
        n_edits += 1
    for _ in range(n_edits):
        text = pick(r, EDITS)(r, text, narrative)
    return text


def fit_platform(r, platform, text):
    if platform == "x" and len(text) > 280 and r.random() < 0.7:
        cut = text[:272]
        cut = cut[: cut.rfind(" ")] if " " in cut else cut
        return cut + "…"
    return text


# --------------------------------------------------------------------------------------------
# Accounts, times, metrics.
# --------------------------------------------------------------------------------------------

FIRST = ["budi", "siti", "agus", "dewi", "rizky", "putri", "andi", "nur", "joko", "ratna", "fajar", "intan",
         "hendra", "yuni", "dimas", "wulan", "eko", "sri", "bayu", "lestari", "adi", "mega", "teguh", "fitri",
         "arif", "nia", "yoga", "rini", "hadi", "tari"]
LAST = ["santoso", "wijaya", "saputra", "lestari", "hidayat", "pratama", "kurniawan", "rahayu", "nugroho",
        "susanti", "setiawan", "permata", "gunawan", "anggraini", "siregar", "nasution", "manurung", "tanjung",
        "pangaribuan", "simanjuntak", "halim", "wibowo"]
TG_CHANNELS = ["info_warga_terkini", "kabar_daerah_24jam", "grup_diskusi_rakyat", "berita_cepat_id",
               "info_loker_harian", "komunitas_pesisir", "ruang_obrolan_ibu", "kabar_kampung_kita",
               "update_cuaca_lokal", "jaringan_alumni"]
VIEW_MEDIAN = {"x": 900, "facebook": 450, "instagram": 1600, "tiktok": 5200, "youtube": 2100, "telegram": 800,
               "news": 3500}


class Accounts:
    def __init__(self, r):
        self.r = r
        self.pools = {}
        self.used_handles = set()
        self.next_uid = 100001

    def _handle(self, platform):
        r = self.r
        for _ in range(1000):
            if platform == "telegram" and r.random() < 0.5:
                h = r.choice(TG_CHANNELS)
            else:
                f, l = r.choice(FIRST), r.choice(LAST)
                h = r.choice([f"{f}_{l}", f"{f}{r.randint(1, 99)}", f"{f}.{l}{r.randint(70, 99)}",
                              f"mas_{f}", f"bunda_{f}{r.randint(1, 9)}", f"{f}{l}", f"{f}_{r.randint(100, 999)}"])
            if (platform, h) not in self.used_handles:
                self.used_handles.add((platform, h))
                return h
        raise RuntimeError("handle space exhausted")

    def new(self, platform, handle=None):
        uid = f"u{self.next_uid:07d}"
        self.next_uid += 1
        if handle is None:
            handle = self._handle(platform)
        else:
            self.used_handles.add((platform, handle))
        return {"id": uid, "handle": handle}

    def organic(self, platform):
        """Zipf-like activity: a few accounts post a lot, most post once or twice."""
        pool = self.pools.setdefault(platform, [self.new(platform) for _ in range(45)])
        weights = [1.0 / (i + 1) ** 0.9 for i in range(len(pool))]
        return self.r.choices(pool, weights=weights)[0]


def night_shift(r, t):
    """Few posts between 01:00 and 05:00 WIB: most of them move to the morning."""
    local = t + WIB
    if 1 <= local.hour < 5 and r.random() < 0.85:
        morning = local.replace(hour=5, minute=0, second=0) + dt.timedelta(seconds=r.randint(0, 3 * 3600))
        return morning - WIB
    return t


def copy_time(r, parent_t, median_min):
    for _ in range(50):
        delay = dt.timedelta(seconds=max(20, int(60 * median_min * math.exp(r.gauss(0, 1.2)))))
        t = night_shift(r, parent_t + delay)
        if t < END:
            return t
    return END - dt.timedelta(seconds=r.randint(60, 3600))


def lognormal(r, median, sigma=1.0):
    return median * math.exp(r.gauss(0, sigma))


def metrics(r, platform, children, bot):
    if platform == "whatsapp":
        return {"views": 0, "shares": children + int(lognormal(r, 6, 0.9)), "likes": 0, "replies": 0}
    views = lognormal(r, VIEW_MEDIAN[platform]) * (1 + 0.6 * children) * (0.25 if bot else 1.0)
    views = max(3, int(views))
    likes = int(views * r.uniform(0.01, 0.08))
    shares = children + int(views * r.uniform(0.001, 0.02))
    replies = int(likes * r.uniform(0.02, 0.2))
    return {"views": views, "shares": shares, "likes": likes, "replies": replies}


def url_for(platform, handle, n, outlet_domain=None):
    return {
        "x": f"https://x.com/{handle}/status/{n}",
        "facebook": f"https://www.facebook.com/{handle}/posts/{n}",
        "instagram": f"https://www.instagram.com/p/{n}",
        "tiktok": f"https://www.tiktok.com/@{handle}/video/{n}",
        "youtube": f"https://www.youtube.com/watch?v={n}",
        "telegram": f"https://t.me/{handle}/{n}",
        "news": f"https://{outlet_domain}/read/{n}",
        "whatsapp": None,
    }[platform]


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def uniform_time(r, lo=START, hi=END):
    t = lo + dt.timedelta(seconds=r.randint(0, int((hi - lo).total_seconds()) - 1))
    return night_shift(r, t)


# --------------------------------------------------------------------------------------------
# Building the stream.
# --------------------------------------------------------------------------------------------

def build_items(r):
    accounts = Accounts(r)
    posts = []  # dicts: t, platform, author, text, narrative, group, bot, parent, outlet

    def add(**kw):
        kw.setdefault("group", None)
        kw.setdefault("bot", False)
        kw.setdefault("parent", None)
        kw.setdefault("outlet", None)
        kw["seq"] = len(posts)
        posts.append(kw)
        return kw["seq"]

    networks = {net: [accounts.new(p, h) for h in handles]
                for (net, handles), p in zip(sorted(BOT_HANDLES.items()), ["x", "facebook"])}

    for n in NARRATIVES:
        label = n["label"]
        t0 = START + dt.timedelta(hours=n["start"], seconds=r.randint(0, 3599))
        text0 = fit_platform(r, n["home"], n["texts"][0])
        members = [add(t=t0, platform=n["home"], author=accounts.organic(n["home"]), text=text0,
                       narrative=label, base=n["texts"][0])]
        for g in COORDINATED:
            if g["narrative"] != label:
                continue
            bots = networks[g["network"]][: g["accounts"]]
            template_src = n["texts"][0]
            for w_hours, share in g["waves"]:
                wt = t0 + dt.timedelta(hours=w_hours, seconds=r.randint(0, 600))
                template = pick(r, LIGHT_EDITS)(r, template_src, n)
                k = max(5, round(len(bots) * share))
                for bot in sorted(r.sample(bots, k=k), key=lambda b: b["id"]):
                    text = template if r.random() < 0.5 else pick(r, LIGHT_EDITS)(r, template, n)
                    members.append(add(t=wt + dt.timedelta(seconds=r.randint(0, 40)), platform=g["platform"],
                                       author=bot, text=fit_platform(r, g["platform"], text), narrative=label,
                                       group=g["group"], bot=True, base=template_src))
        while len(members) < n["copies"]:
            if r.random() < 0.35:
                parent = members[0]
            else:
                parent = r.choice(members)
            p = posts[parent]
            if len(n["texts"]) > 1 and r.random() < 0.2:
                source = r.choice(n["texts"][1:])
            else:
                source = p["base"] if p["bot"] else p["text"]
            platform = n["home"] if r.random() < 0.6 else r.choices(PLATFORMS_SOCIAL, weights=CROSS_WEIGHTS)[0]
            text = fit_platform(r, platform, mutate(r, source, n))
            members.append(add(t=copy_time(r, p["t"], n["delay"]), platform=platform,
                               author=accounts.organic(platform), text=text, narrative=label, parent=parent,
                               base=source))

    # The re-shared news article.
    nr = NEWS_RESHARE
    slug, domain = NEWS_OUTLETS[nr["outlet"]]
    t0 = START + dt.timedelta(hours=nr["start"], seconds=r.randint(0, 3599))
    origin = add(t=t0, platform="news", author={"id": f"news-{slug}", "handle": slug},
                 text=nr["title"] + "\n\n" + nr["lead"], narrative=nr["label"], outlet=domain, base=None)
    for comment in nr["comments"]:
        platform = r.choice(["x", "facebook", "whatsapp"])
        t = copy_time(r, t0, 90)
        link = f"https://{domain}/read/@ORIGIN@"
        text = f"{comment}\n{nr['title']} {link}"
        add(t=t, platform=platform, author=accounts.organic(platform), text=text, narrative=nr["label"],
            parent=origin, base=None)

    for platform, text in SINGLETONS:
        add(t=uniform_time(r), platform=platform, author=accounts.organic(platform), text=text, narrative=None,
            base=None)
    for outlet, title, lead in NEWS_SINGLETONS:
        slug, domain = NEWS_OUTLETS[outlet]
        add(t=uniform_time(r), platform="news", author={"id": f"news-{slug}", "handle": slug},
            text=title + "\n\n" + lead, narrative=None, outlet=domain, base=None)

    children = [0] * len(posts)
    for p in posts:
        if p["parent"] is not None:
            children[p["parent"]] += 1

    order = sorted(range(len(posts)), key=lambda i: (posts[i]["t"], i))
    number = {seq: ID_BASE + k for k, seq in enumerate(order)}
    items, truth = [], []
    for seq in order:
        p = posts[seq]
        n = number[seq]
        text = p["text"]
        if "@ORIGIN@" in text:
            text = text.replace("@ORIGIN@", str(number[p["parent"]]))
        items.append({
            "id": f"{p['platform']}:{n}",
            "platform": p["platform"],
            "url": url_for(p["platform"], p["author"]["handle"], n, p["outlet"]),
            "author": p["author"],
            "text": text,
            "published_at": fmt(p["t"]),
            "metrics": metrics(r, p["platform"], children[seq], p["bot"]),
        })
        truth.append({"id": items[-1]["id"], "narrative": p["narrative"], "coordinated_group": p["group"]})
    return items, truth


def build_updates(r, items):
    """Ten items seen again later with the same content and higher metrics."""
    picked = sorted(r.sample(range(len(items)), k=10))
    out = []
    for i in picked:
        it = json.loads(json.dumps(items[i]))
        m = it["metrics"]
        if it["platform"] == "whatsapp":
            m["shares"] += r.randint(3, 40)
        else:
            grow = r.uniform(1.3, 3.0)
            m["views"] = int(m["views"] * grow) + r.randint(10, 200)
            m["likes"] = int(m["likes"] * grow) + r.randint(1, 20)
            m["shares"] = int(m["shares"] * grow) + r.randint(1, 10)
            m["replies"] = int(m["replies"] * grow) + r.randint(0, 5)
        out.append(it)
    return out


# --------------------------------------------------------------------------------------------
# Fact-checks and citizen reports.
# --------------------------------------------------------------------------------------------

PUBLISHER = "Meja Cek Fakta Kabar Jernih"
DATASET = "tangkal-sample"

# (slug, date, rating, title, claim, explanation, conclusion, narrative label or None)
FACTCHECKS = [
    ("lowongan-bumn-tanpa-tes-lewat-tautan", "2024-02-12", "PENIPUAN",
     "Lowongan Kerja BUMN Tanpa Tes dengan Gaji Rp 8,5 Juta Lewat Tautan Pendaftaran",
     "Lowongan kerja BUMN 2024 untuk lulusan SMA hingga S1 tanpa tes tertulis, gaji Rp 8,5 juta, daftar lewat tautan dengan mengirim CV dan foto KTP.",
     "Pesan lowongan ini menyebar lewat WhatsApp dan Facebook. Rekrutmen BUMN diumumkan melalui portal rekrutmen bersama dan situs resmi tiap perusahaan, selalu melalui seleksi administrasi dan tes. Tautan dalam pesan tidak terhubung dengan domain resmi dan meminta foto KTP yang rawan disalahgunakan.",
     "Lowongan tersebut palsu dan berpotensi menjadi sarana pencurian data pribadi.", "loker-bumn-tanpa-tes"),
    ("lowongan-pabrik-cikarang-bayar-seragam", "2024-02-13", "PENIPUAN",
     "Lowongan Operator Pabrik Minuman di Cikarang yang Meminta Biaya Seragam Rp 350 Ribu",
     None,
     "Kawasan industri yang disebut tidak memiliki pabrik minuman dengan rekrutmen seperti dalam pesan. Nomor kontak HRD yang dicantumkan bukan nomor perusahaan. Perusahaan resmi tidak memungut biaya seragam atau ID card dari pelamar.",
     "Pesan lowongan adalah modus penipuan yang meminta transfer uang dari pencari kerja.", "loker-pabrik-biaya-seragam"),
    ("blt-600-ribu-tahap-2-daftar-lewat-link", "2024-02-12", "SALAH",
     "BLT Rp 600 Ribu Tahap 2 Cair, Daftar Lewat Link dengan NIK dan Foto KTP",
     "BLT Rp 600.000 tahap 2 cair Februari 2024 dan warga bisa mendaftar lewat tautan dengan mengunggah KTP dan KK.",
     "Kementerian terkait tidak membuka pendaftaran bantuan melalui tautan pihak ketiga. Data penerima ditetapkan dari data terpadu kesejahteraan sosial dan dapat dicek di situs resmi kementerian. Tautan yang beredar meminta foto KTP dan KK sehingga berisiko dipakai untuk pinjaman daring ilegal.",
     "Klaim pendaftaran BLT lewat tautan tersebut salah dan merupakan upaya pengumpulan data pribadi.", "blt-600-ribu-link-daftar"),
    ("kuota-gratis-75gb-selama-pemilu", "2024-02-13", "HOAKS",
     "Kuota Internet Gratis 75GB dari Kementerian Selama Masa Pemilu",
     None,
     "Tidak ada program pembagian kuota gratis 75GB terkait pemilu. Situs dalam pesan meminta nomor telepon lalu menyuruh pengguna menyebarkan pesan ke grup lain, pola umum untuk mengumpulkan nomor aktif.",
     "Informasi kuota gratis tersebut hoaks.", "kuota-gratis-75gb-pemilu"),
    ("surat-suara-tercoblos-di-gudang-kecamatan", "2024-02-13", "SALAH",
     "Ribuan Surat Suara Sudah Tercoblos di Gudang Logistik Kecamatan",
     "Ribuan surat suara yang sudah tercoblos untuk satu paslon ditemukan di gudang logistik kecamatan sebelum hari pemungutan suara.",
     "Penyelenggara pemilu setempat menyatakan surat suara di gudang masih tersegel dan telah diperiksa bersama pengawas serta saksi. Video yang disebut sebagai bukti menampilkan proses penyortiran surat suara rusak, yang dicatat dan dimusnahkan dengan berita acara.",
     "Klaim surat suara sudah tercoblos di gudang kecamatan tidak benar.", "surat-suara-sudah-tercoblos"),
    ("quick-count-diatur-dan-sirekap-disetting", "2024-02-15", "SALAH",
     "Hasil Quick Count Sudah Diatur dan Server KPU Disetting Mengikuti Hitung Cepat",
     None,
     "Hitung cepat dilakukan lembaga survei berdasarkan sampel TPS dan tidak terhubung dengan sistem penyelenggara. Sirekap adalah alat bantu publikasi foto formulir hasil TPS; hasil resmi ditetapkan melalui rekapitulasi berjenjang yang dapat disaksikan saksi peserta pemilu. Tidak ditemukan bukti pengaturan angka seperti dalam unggahan.",
     "Klaim quick count dan Sirekap sudah diatur tidak didukung bukti.", "quick-count-sudah-diatur"),
    ("tinta-pemilu-mengandung-lemak-babi", "2024-02-13", "HOAKS",
     "Tinta Pemilu 2024 Mengandung Lemak Babi sehingga Wudhu Tidak Sah",
     None,
     "Tinta penanda pemilu telah melalui pemeriksaan kehalalan dan bersertifikat halal. Tinta tersebut juga dirancang agar dapat ditembus air sehingga tidak menghalangi wudhu.",
     "Klaim tinta pemilu mengandung lemak babi adalah hoaks.", "tinta-pemilu-lemak-babi"),
    ("cek-lokasi-tps-pakai-nik-dan-nama-ibu", "2024-02-12", "PENIPUAN",
     "Pesan Wajib Cek Ulang Lokasi TPS Pakai NIK dan Nama Ibu Kandung",
     None,
     "Pengecekan daftar pemilih tetap hanya memerlukan NIK di situs resmi penyelenggara pemilu dan tidak pernah meminta nama ibu kandung. Nama ibu kandung sering dipakai sebagai data verifikasi perbankan. Tidak benar pula bahwa suara pemilih hangus bila nama tidak muncul di tautan tersebut.",
     "Pesan tersebut adalah upaya phishing yang menunggangi momen pemilu.", "cek-tps-pindah-link-nik"),
    ("vaksin-booster-berisi-nanochip-5g", "2024-02-13", "SALAH",
     "Vaksin Booster Mengandung Nanochip yang Bisa Dilacak Sinyal 5G",
     None,
     "Komposisi vaksin yang beredar terdaftar dan tidak memuat komponen elektronik. Chip pelacak membutuhkan sumber daya dan antena yang tidak mungkin muat dalam jarum suntik. Benda yang menempel di lengan dalam video biasanya karena permukaan kulit yang lembap atau berminyak.",
     "Klaim vaksin booster berisi nanochip salah.", "vaksin-booster-nanochip"),
    ("rebusan-daun-salam-sembuhkan-diabetes-3-hari", "2024-02-14", "SALAH",
     "Rebusan Daun Salam, Serai dan Kayu Manis Sembuhkan Diabetes dalam 3 Hari",
     "Minum rebusan daun salam, serai dan kayu manis tiap pagi membuat gula darah normal dalam 3 hari sehingga obat diabetes bisa dihentikan.",
     "Dokter penyakit dalam yang dimintai pendapat menjelaskan belum ada uji klinis yang membuktikan ramuan tersebut menyembuhkan diabetes. Menghentikan obat tanpa pengawasan dokter dapat menyebabkan gula darah melonjak dan komplikasi berat.",
     "Klaim ramuan menyembuhkan diabetes dalam 3 hari salah dan berbahaya.", "rebusan-daun-salam-diabetes"),
    ("undian-ulang-tahun-belanja-hemat-hadiah-mobil", "2024-02-14", "PENIPUAN",
     "Pemenang Undian Ulang Tahun Belanja Hemat Berhadiah Mobil dan Uang Rp 25 Juta",
     None,
     "Jaringan toko yang namanya dicatut menyatakan tidak sedang mengadakan undian. Pesan meminta korban menghubungi nomor pribadi yang kemudian meminta biaya pajak hadiah dan administrasi.",
     "Pesan pemenang undian tersebut penipuan.", "undian-belanja-hemat-mobil"),
    ("file-apk-foto-paket-dari-kurir", "2024-02-12", "PENIPUAN",
     "Pesan Kurir Minta Cek Foto Paket Lewat File Lihat_Foto_Paket.apk",
     None,
     "Berkas berakhiran .apk adalah aplikasi Android, bukan foto. Setelah dipasang, aplikasi meminta izin membaca SMS sehingga kode OTP perbankan dapat dicuri. Perusahaan ekspedisi tidak mengirim foto paket dalam bentuk aplikasi.",
     "Pesan tersebut modus penipuan untuk membobol rekening korban.", "apk-kurir-foto-paket"),
    ("prediksi-gempa-susulan-87-malam-ini", "2024-02-13", "HOAKS",
     "Info BMKG: Malam Ini Gempa Susulan 8,7 SR, Warga Diminta Tidur di Luar Rumah",
     None,
     "Lembaga meteorologi menegaskan gempa tidak dapat diprediksi waktu dan kekuatannya. Lembaga tersebut tidak pernah mengeluarkan peringatan tentang gempa susulan 8,7 dan meminta warga hanya mengikuti kanal informasi resmi.",
     "Pesan prediksi gempa susulan adalah hoaks.", "prediksi-gempa-susulan-8-7"),
    ("air-laut-surut-tsunami-dua-jam-pantai-selatan", "2024-02-14", "HOAKS",
     "Air Laut Surut 200 Meter di Pantai Selatan, Tsunami Datang dalam 2 Jam",
     None,
     "Tidak ada gempa yang berpotensi tsunami pada waktu pesan beredar. Surutnya air laut dalam pesan terjadi saat pasang surut harian yang biasa di pantai tersebut. Peringatan dini tsunami hanya dikeluarkan lembaga resmi.",
     "Informasi tsunami di pantai selatan adalah hoaks.", "tsunami-pantai-selatan-surut"),
    ("menkeu-gaji-pns-tidak-naik-untuk-bunga-utang", "2024-02-15", "DISINFORMASI",
     "Menteri Keuangan Sebut Gaji PNS Tidak Naik karena Dialihkan untuk Bunga Utang",
     "Menteri Keuangan mengatakan gaji PNS dan pensiunan tidak naik tahun ini karena anggaran dialihkan untuk bunga utang dan ibu kota baru.",
     "Tidak ada pernyataan Menteri Keuangan seperti kutipan itu. Kenaikan gaji ASN dan pensiunan sudah tercantum dalam anggaran tahun berjalan dan mulai dibayarkan sesuai peraturan pemerintah.",
     "Kutipan tersebut palsu.", "kutipan-menkeu-gaji-pns"),
    ("whatsapp-berbayar-teruskan-ke-20-kontak", "2021-06-03", "HOAKS",
     "WhatsApp Berbayar Mulai Besok, Teruskan ke 20 Kontak agar Logo Jadi Biru",
     None,
     "Pesan berantai semacam ini sudah beredar sejak bertahun-tahun lalu dalam berbagai versi. Layanan pesan tersebut tidak memungut biaya bulanan dari pengguna dan tidak mengubah logo karena pesan diteruskan.",
     "Pesan WhatsApp berbayar adalah hoaks lama yang beredar ulang.", "whatsapp-berbayar-logo-biru"),
    # Fact-checks of hoaxes that are not in items.jsonl.
    ("telur-palsu-dari-plastik-di-pasar", "2023-08-21", "SALAH",
     "Telur Palsu dari Bahan Plastik Beredar di Pasar Tradisional", None,
     "Telur yang dianggap palsu dalam video adalah telur yang disimpan terlalu lama sehingga selaputnya mengeras. Pembuatan telur tiruan jauh lebih mahal daripada harga telur asli.",
     "Klaim telur palsu dari plastik salah.", None),
    ("berkumur-air-garam-sembuhkan-infeksi-paru", "2023-05-09", "SALAH",
     "Berkumur Air Garam Hangat Tiga Kali Sehari Sembuhkan Infeksi Paru-paru", None,
     "Berkumur dapat membantu meredakan sakit tenggorokan tetapi tidak menjangkau paru-paru. Infeksi paru memerlukan pemeriksaan dan pengobatan medis.",
     "Klaim tersebut salah.", None),
    ("bank-ubah-tarif-transfer-150-ribu-per-bulan", "2023-11-14", "PENIPUAN",
     "Pemberitahuan Bank: Tarif Transfer Berubah Jadi Rp 150 Ribu per Bulan, Konfirmasi Lewat Link",
     "Nasabah diminta memilih tarif lama atau baru melalui tautan, jika tidak akan dikenai Rp 150.000 per bulan.",
     "Bank yang dicatut tidak mengubah tarif transfer dan tidak meminta konfirmasi lewat tautan. Situs dalam pesan meniru tampilan bank dan meminta nomor kartu, PIN serta kode OTP.",
     "Pesan itu penipuan untuk mencuri data perbankan.", None),
    ("akun-bupati-palsu-minta-transfer", "2023-12-02", "PENIPUAN",
     "Akun WhatsApp Mengatasnamakan Bupati Minta Bantuan Transfer Dana", None,
     "Pemerintah kabupaten menyatakan nomor yang memakai foto bupati bukan milik bupati. Akun itu menghubungi kepala sekolah dan kepala desa untuk meminta transfer dengan alasan kegiatan sosial.",
     "Akun tersebut palsu.", None),
    ("foto-banjir-lama-diklaim-banjir-ibu-kota-2024", "2024-01-18", "SALAH",
     "Foto Banjir Setinggi Atap Diklaim Terjadi di Ibu Kota Januari 2024", None,
     "Penelusuran gambar menunjukkan foto tersebut sudah terbit di media daring beberapa tahun lalu dan diambil di provinsi lain.",
     "Foto lama digunakan dengan konteks keliru.", None),
    ("video-antrean-sembako-lama-disebut-bansos-kampanye", "2024-01-29", "DISINFORMASI",
     "Video Antrean Sembako Disebut Pembagian Bansos untuk Kampanye", None,
     "Video tersebut merekam pembagian zakat di sebuah masjid beberapa tahun lalu, tidak berkaitan dengan kampanye pemilu tahun ini.",
     "Video dipakai dengan konteks keliru.", None),
    ("formulir-c1-palsu-hasil-tps-berbeda", "2024-02-16", "SALAH",
     "Foto Formulir Hasil TPS dengan Angka Berbeda dari Papan Pengumuman", None,
     "Petugas TPS yang bersangkutan menunjukkan salinan formulir asli yang angkanya sama dengan papan pengumuman. Foto yang beredar telah disunting pada kolom jumlah suara.",
     "Foto formulir tersebut hasil suntingan.", None),
    ("beasiswa-kementerian-rp-10-juta-lewat-link", "2023-09-05", "PENIPUAN",
     "Beasiswa Pendidikan Rp 10 Juta untuk Semua Pelajar, Daftar Lewat Link", None,
     "Kementerian pendidikan tidak membuka beasiswa melalui tautan pesan berantai. Program bantuan pendidikan resmi disalurkan lewat sekolah berdasarkan data pokok pendidikan.",
     "Informasi beasiswa tersebut penipuan.", None),
    ("surat-suara-luar-negeri-dikirim-ke-alamat-kosong", "2024-02-08", "KLARIFIKASI",
     "Klarifikasi Soal Surat Suara Pos untuk Pemilih Luar Negeri yang Dikembalikan", None,
     "Penyelenggara pemilu di luar negeri menjelaskan surat suara yang kembali dari alamat tidak dikenal dicatat dan disimpan sebagai surat suara tidak terpakai, tidak dicoblos oleh petugas.",
     "Surat suara yang dikembalikan diperlakukan sesuai prosedur.", None),
    ("daun-pepaya-sembuhkan-dbd-dalam-sehari", "2023-03-22", "SALAH",
     "Jus Daun Pepaya Menaikkan Trombosit dan Menyembuhkan DBD dalam Sehari", None,
     "Beberapa penelitian awal menguji ekstrak daun pepaya sebagai terapi pendamping, tetapi tidak ada bukti bahwa jus daun pepaya menyembuhkan demam berdarah dalam sehari. Pasien tetap memerlukan pemantauan cairan di fasilitas kesehatan.",
     "Klaim tersebut salah.", None),
    ("mi-instan-dan-minuman-soda-jadi-racun", "2022-10-11", "SALAH",
     "Makan Mi Instan Lalu Minum Minuman Bersoda Bisa Menyebabkan Kematian", None,
     "Tidak ada reaksi kimia berbahaya antara mi instan dan minuman bersoda dalam jumlah wajar. Kasus yang dikaitkan dalam pesan tidak dapat diverifikasi.",
     "Klaim itu salah.", None),
    ("gerhana-matahari-picu-gempa-besar", "2023-04-19", "SALAH",
     "Gerhana Matahari Memicu Gempa Besar dan Tsunami di Indonesia", None,
     "Gerhana adalah peristiwa posisi benda langit dan tidak terbukti memicu gempa besar. Gempa tektonik terjadi karena pergerakan lempeng.",
     "Klaim tersebut salah.", None),
    ("rekrutmen-aparat-jalur-khusus-bayar", "2023-06-27", "PENIPUAN",
     "Penerimaan Anggota Aparat Jalur Khusus dengan Biaya Rp 150 Juta Dijamin Lulus", None,
     "Institusi yang dicatut menegaskan penerimaan anggota tidak dipungut biaya dan tidak ada jalur khusus berbayar. Masyarakat diminta melapor jika menemukan tawaran seperti itu.",
     "Tawaran tersebut penipuan.", None),
    ("giveaway-tiket-pesawat-gratis-ulang-tahun-maskapai", "2023-10-30", "PENIPUAN",
     "Giveaway Dua Tiket Pesawat Gratis dalam Rangka Ulang Tahun Maskapai", None,
     "Maskapai yang dicatut tidak mengadakan giveaway tersebut. Halaman yang beredar meminta peserta mengisi survei dan membagikan tautan ke 20 teman, lalu mengarahkan ke situs pengumpul data.",
     "Giveaway tersebut penipuan.", None),
    ("pemutihan-pajak-kendaraan-lewat-tautan", "2023-07-12", "PENIPUAN",
     "Pemutihan Pajak Kendaraan Bermotor Bisa Diurus Lewat Tautan WhatsApp", None,
     "Program keringanan pajak kendaraan diumumkan melalui kanal resmi pemerintah provinsi dan dibayar di kantor pelayanan atau aplikasi resmi. Tautan dalam pesan tidak terkait dengan pemerintah provinsi.",
     "Pesan tersebut penipuan.", None),
    ("foto-letusan-gunung-hasil-suntingan", "2023-12-06", "SALAH",
     "Foto Letusan Gunung dengan Awan Berbentuk Wajah", None,
     "Foto asli letusan tersebut tidak menampilkan bentuk wajah. Gambar yang beredar telah disunting dengan menambahkan efek pada kolom abu.",
     "Foto tersebut hasil suntingan.", None),
    ("beras-plastik-beredar-di-warung", "2022-05-17", "SALAH",
     "Beras Plastik Beredar di Warung, Kenali Cirinya Saat Dimasak", None,
     "Uji laboratorium terhadap sampel beras yang dilaporkan tidak menemukan kandungan plastik. Beras yang lengket atau berbau biasanya karena penyimpanan yang lembap.",
     "Klaim beras plastik salah.", None),
    ("pemilu-2024-ditunda-tahun-depan", "2023-11-22", "HOAKS",
     "Pemilu 2024 Resmi Ditunda ke Tahun Depan", None,
     "Jadwal pemungutan suara telah ditetapkan dalam peraturan penyelenggara pemilu dan tidak ada keputusan penundaan. Tangkapan layar surat yang beredar tidak memiliki nomor dan kop resmi.",
     "Informasi penundaan pemilu adalah hoaks.", None),
    ("aplikasi-kartu-pelatihan-kerja-gelombang-baru", "2023-08-08", "PENIPUAN",
     "Pendaftaran Kartu Pelatihan Kerja Gelombang Baru Lewat Aplikasi yang Dikirim di WhatsApp", None,
     "Pendaftaran program pelatihan kerja hanya melalui situs resmi program. Berkas aplikasi yang dikirim lewat WhatsApp meminta izin akses SMS dan dapat mencuri kode OTP.",
     "Pesan tersebut penipuan.", None),
    ("jadwal-penyaluran-bantuan-keluarga-tahap-1-2024", "2024-02-06", "KLARIFIKASI",
     "Klarifikasi Jadwal Penyaluran Bantuan Keluarga Tahap 1 Tahun 2024", None,
     "Kementerian sosial menjelaskan penyaluran tahap 1 dilakukan bertahap mulai Februari melalui bank penyalur dan kantor pos. Penerima tidak perlu mendaftar ulang lewat tautan apa pun.",
     "Penyaluran memang berjalan, tetapi tidak ada pendaftaran lewat tautan.", None),
    ("peringatan-cuaca-ekstrem-pekan-ini", "2024-02-10", "BENAR",
     "Peringatan Dini Cuaca Ekstrem untuk Sejumlah Wilayah Pekan Ini", None,
     "Lembaga meteorologi memang mengeluarkan peringatan dini hujan lebat disertai angin kencang untuk sejumlah provinsi selama sepekan. Warga diminta mewaspadai banjir dan pohon tumbang.",
     "Informasi peringatan cuaca ekstrem benar.", None),
    ("air-rebusan-sirih-sembuhkan-katarak", "2023-02-14", "SALAH",
     "Meneteskan Air Rebusan Daun Sirih ke Mata Menyembuhkan Katarak", None,
     "Katarak adalah kekeruhan lensa mata yang ditangani dengan operasi. Meneteskan cairan rebusan ke mata berisiko menimbulkan infeksi.",
     "Klaim tersebut salah dan berbahaya.", None),
    ("penculikan-anak-untuk-jual-organ-2023", "2023-01-31", "HOAKS",
     "Penculikan Anak untuk Dijual Organnya Marak di Jawa Barat", None,
     "Kepolisian daerah menyatakan tidak ada laporan penculikan anak untuk perdagangan organ. Video yang disertakan merupakan rekaman kejadian lain di luar negeri.",
     "Informasi penculikan untuk jual organ adalah hoaks.", None),
    ("minyak-goreng-langka-karena-ekspor-pemilu", "2024-01-24", "SALAH",
     "Minyak Goreng Akan Langka Sebulan karena Diekspor untuk Dana Pemilu", None,
     "Kementerian perdagangan menyatakan stok minyak goreng aman dan tidak ada kebijakan ekspor untuk membiayai pemilu. Dana pemilu bersumber dari anggaran negara.",
     "Klaim tersebut salah.", None),
]

# (text, channel, narrative label or None, fact-check slugs)
REPORTS = [
    ("Min, tolong dicek. Di grup keluarga ada pesan BLT 600 ribu tahap 2 sudah cair, disuruh daftar lewat link cek-bansos-2024 pakai NIK sama foto KTP. Ibu saya hampir isi.",
     "whatsapp", "blt-600-ribu-link-daftar", ["blt-600-ribu-tahap-2-daftar-lewat-link"]),
    ("Saya dapat chat dari nomor tidak dikenal mengaku kurir Ekspedisi Kilat, mengirim file Lihat_Foto_Paket.apk. Apakah ini penipuan?",
     "whatsapp", "apk-kurir-foto-paket", ["file-apk-foto-paket-dari-kurir"]),
    ("Benarkah nanti malam jam 10 ada gempa susulan 8,7? Katanya info dari orang dalam BMKG. Warga di kampung kami sudah mau tidur di lapangan.",
     "whatsapp", "prediksi-gempa-susulan-8-7", ["prediksi-gempa-susulan-87-malam-ini"]),
    ("Ada video dan tulisan yang bilang surat suara sudah tercoblos ditemukan di gudang kecamatan. Banyak akun yang posting bersamaan di X, tolong diperiksa.",
     "web", "surat-suara-sudah-tercoblos", ["surat-suara-tercoblos-di-gudang-kecamatan"]),
    ("Resep rebusan daun salam serai kayu manis katanya bisa sembuhkan diabetes 3 hari dan boleh berhenti obat. Bapak saya mau coba, apa aman?",
     "whatsapp", "rebusan-daun-salam-diabetes", ["rebusan-daun-salam-sembuhkan-diabetes-3-hari"]),
    ("Saya dapat pesan menang undian mobil dan uang 25 juta dari Belanja Hemat, disuruh telepon manajer undian. Saya tidak pernah ikut undian.",
     "web", "undian-belanja-hemat-mobil", ["undian-ulang-tahun-belanja-hemat-hadiah-mobil"]),
    ("Di grup RT beredar pengumuman PLN pemadaman total Jawa Bali 3 hari mulai 15 Februari. Apa benar? Tidak ada di berita.",
     "whatsapp", "pemadaman-listrik-jawa-bali-3-hari", []),
    ("Grup wali murid heboh soal penculikan anak SD pakai mobil van putih, modus minta air minum. Mohon dicek kebenarannya.",
     "whatsapp", "penculikan-anak-van-putih", []),
    ("Postingan di Facebook mengutip gubernur mengancam bansos desa yang kalah di TPS akan dievaluasi. Ada rekamannya katanya, tapi saya tidak menemukan sumbernya.",
     "web", "kutipan-gubernur-ancam-bansos", []),
    ("Loker BUMN tanpa tes gaji 8,5 juta, daftar pakai link rekrutmen-bumn-2024. Adik saya sudah kirim CV dan KTP, bagaimana ini?",
     "whatsapp", "loker-bumn-tanpa-tes", ["lowongan-bumn-tanpa-tes-lewat-tautan"]),
    ("Pesan dari bank bilang tarif transfer jadi 150 ribu per bulan kalau tidak konfirmasi lewat link. Asli atau tidak?",
     "whatsapp", None, ["bank-ubah-tarif-transfer-150-ribu-per-bulan"]),
    ("Tetangga bilang telur di pasar ada yang palsu dari plastik, kulitnya keras dan kuningnya kenyal. Benarkah?",
     "web", None, ["telur-palsu-dari-plastik-di-pasar"]),
    ("Ada yang menawarkan jalur khusus masuk aparat bayar 150 juta dijamin lulus. Saudara saya hampir transfer.",
     "whatsapp", None, ["rekrutmen-aparat-jalur-khusus-bayar"]),
    ("Beredar foto formulir hasil TPS yang angkanya beda dengan yang ditempel di papan. Katanya bukti manipulasi.",
     "web", None, ["formulir-c1-palsu-hasil-tps-berbeda"]),
    ("Ada video kepala daerah mempromosikan investasi emas dengan untung 30 persen sebulan. Suaranya seperti asli tapi mulutnya aneh, sepertinya editan.",
     "web", None, []),
    ("Seseorang mengaku petugas PLN datang ke rumah minta foto meteran dan KTP untuk program diskon listrik pasca pemilu. Apakah ada program seperti itu?",
     "whatsapp", None, []),
    ("Beredar pesan bahwa air PDAM di kota kami tercemar bahan kimia setelah banjir dan tidak boleh dipakai mandi selama seminggu.",
     "whatsapp", None, []),
    ("Katanya sekolah diliburkan seminggu setelah pemilu untuk penghitungan suara ulang. Ada surat edaran yang beredar tapi tanpa kop.",
     "web", None, []),
    ("Ada link pendaftaran kuota gratis 75GB selama pemilu, harus share ke 10 grup. Saya sudah isi nomor HP, apa bahaya?",
     "whatsapp", "kuota-gratis-75gb-pemilu", ["kuota-gratis-75gb-selama-pemilu"]),
    ("Akun-akun di X bilang quick count sudah diatur dan Sirekap disetting mengikuti lembaga survei. Postingannya sama semua kata-katanya.",
     "web", "quick-count-sudah-diatur", ["quick-count-diatur-dan-sirekap-disetting"]),
]


def fc_id(slug):
    return "fc-" + hashlib.sha256(("tangkal-sample:" + slug).encode()).hexdigest()[:12]


def build_factchecks():
    rows, truth = [], []
    for slug, date, rating, title, claim, expl, concl, narrative in FACTCHECKS:
        fid = fc_id(slug)
        rows.append({"id": fid, "title": title, "claim": claim, "rating": rating, "explanation": expl,
                     "conclusion": concl, "url": f"https://example.org/cek-fakta/{date[:4]}/{slug}",
                     "date": date, "publisher": PUBLISHER, "lang": "id", "dataset": DATASET})
        truth.append({"id": fid, "narrative": narrative})
    return rows, truth


def build_reports(r):
    times = sorted(uniform_time(r, START + dt.timedelta(hours=6)) for _ in REPORTS)
    order = list(range(len(REPORTS)))
    r.shuffle(order)
    rows, truth = [], []
    for k, (i, t) in enumerate(zip(order, times)):
        text, channel, narrative, slugs = REPORTS[i]
        rid = f"rpt-{k + 1:04d}"
        rows.append({"id": rid, "text": text, "channel": channel, "received_at": fmt(t)})
        truth.append({"id": rid, "narrative": narrative, "factcheck_ids": [fc_id(s) for s in slugs]})
    return rows, truth


# --------------------------------------------------------------------------------------------

def validate(files):
    items = files["items.jsonl"]
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), "duplicate item ids"
    times = [dt.datetime.strptime(i["published_at"], "%Y-%m-%dT%H:%M:%SZ") for i in items]
    assert times == sorted(times), "items not sorted by published_at"
    for it in items:
        assert it["id"] == f"{it['platform']}:{it['id'].split(':')[1]}"
        if it["platform"] == "whatsapp":
            assert it["url"] is None and it["metrics"]["views"] == 0
        else:
            assert it["url"].endswith(it["id"].split(":")[1])
    truth = files["items.truth.jsonl"]
    assert [t["id"] for t in truth] == ids
    by_id = {i["id"]: i for i in items}
    for u in files["items-update.jsonl"]:
        old = by_id[u["id"]]
        assert {k: v for k, v in u.items() if k != "metrics"} == {k: v for k, v in old.items() if k != "metrics"}
        assert all(u["metrics"][k] >= old["metrics"][k] for k in old["metrics"])
        assert u["metrics"] != old["metrics"]
    labels = {t["narrative"] for t in truth if t["narrative"]}
    for name in ("factchecks", "reports"):
        rows = files[f"{name}.jsonl"]
        assert len({x["id"] for x in rows}) == len(rows), f"duplicate {name} ids"
        for t in files[f"{name}.truth.jsonl"]:
            assert t["narrative"] is None or t["narrative"] in labels, t
    fcs = {f["id"] for f in files["factchecks.jsonl"]}
    for t in files["reports.truth.jsonl"]:
        assert set(t["factcheck_ids"]) <= fcs
    for f in files["factchecks.jsonl"]:
        assert re.fullmatch(r"fc-[0-9a-f]{12}", f["id"])
        dt.date.fromisoformat(f["date"])


def generate():
    r = random.Random(SEED)
    items, truth = build_items(r)
    updates = build_updates(r, items)
    fcs, fc_truth = build_factchecks()
    reports, rep_truth = build_reports(r)
    files = {"items.jsonl": items, "items.truth.jsonl": truth, "items-update.jsonl": updates,
             "factchecks.jsonl": fcs, "factchecks.truth.jsonl": fc_truth, "reports.jsonl": reports,
             "reports.truth.jsonl": rep_truth}
    validate(files)
    return {name: "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
            for name, rows in files.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "data", "sample"))
    ap.add_argument("--check", action="store_true", help="fail if the files on disk differ from a fresh run")
    args = ap.parse_args()
    out = generate()
    stale = []
    for name, body in out.items():
        path = os.path.join(args.out, name)
        if args.check:
            try:
                with open(path, encoding="utf-8") as f:
                    if f.read() != body:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(body)
        print(f"{name}: {body.count(chr(10))} lines", file=sys.stderr)
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
