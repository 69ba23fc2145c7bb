/* The backend's primitives against published vectors (RFC 3711 appendix
 * B.2 and B.3, RFC 6188, the GCM specification, RFC 2202), against an
 * SRTP packet built by hand from the RFC 3711 B.3 session keys, and
 * against the stock libsrtp2 (NSS) types on random inputs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "test_srtp_util.h"

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void assert_hex(const uint8_t *got, const char *hex, const char *what)
{
	size_t n = strlen(hex) / 2;
	uint8_t *want = malloc(n);

	cr_assert(want);
	unhex(hex, want, n);
	cr_assert(memcmp(got, want, n) == 0, "%s differs", what);
	free(want);
}

static srtp_cipher_t *cipher_new(const srtp_cipher_type_t *t, int key_len, int tag_len,
				 const uint8_t *key)
{
	srtp_cipher_t *c = NULL;

	cr_assert_eq(srtp_cipher_type_alloc(t, &c, key_len, tag_len), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_init(c, key), srtp_err_status_ok);
	return c;
}

/* Keystream for counter-mode cipher c at iv, in one or several calls. */
static void icm_keystream(srtp_cipher_t *c, uint8_t *iv, uint8_t *out, size_t n, size_t step)
{
	size_t done = 0;

	memset(out, 0, n);
	cr_assert_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	while (done < n) {
		uint32_t len = (uint32_t)((n - done) < step ? (n - done) : step);

		cr_assert_eq(srtp_cipher_encrypt(c, out + done, &len), srtp_err_status_ok);
		done += len;
	}
}

/* RFC 3711 B.2: AES-CM keystream, including the blocks around the 16-bit
 * block counter's carry at 0xFEFF..0xFF01. */
Test(srtp_vectors, rfc3711_b2_keystream)
{
	uint8_t key[30], iv[16] = { 0 };
	const size_t n = 0xff02 * 16;
	uint8_t *ks = malloc(n), *ks2 = malloc(n);
	srtp_cipher_t *c;

	cr_assert(ks && ks2);
	unhex("2B7E151628AED2A6ABF7158809CF4F3C" "F0F1F2F3F4F5F6F7F8F9FAFBFCFD", key, 30);
	c = cipher_new(&srtp_backend_aes_icm_128, 30, 0, key);
	icm_keystream(c, iv, ks, n, n);
	assert_hex(ks + 0x0000 * 16, "E03EAD0935C95E80E166B16DD92B4EB4", "block 0000");
	assert_hex(ks + 0x0001 * 16, "D23513162B02D0F72A43A2FE4A5F97AB", "block 0001");
	assert_hex(ks + 0x0002 * 16, "41E95B3BB0A2E8DD477901E4FCA894C0", "block 0002");
	assert_hex(ks + 0xfeff * 16, "EC8CDF7398607CB0F2D21675EA9EA1E4", "block FEFF");
	assert_hex(ks + 0xff00 * 16, "362B7C3C6773516318A077D7FC5073AE", "block FF00");
	assert_hex(ks + 0xff01 * 16, "6A2CC3787889374FBEB4C81B17BA6C44", "block FF01");
	/* Same keystream when asked for in odd-sized pieces. */
	icm_keystream(c, iv, ks2, n, 4099);
	cr_assert(memcmp(ks, ks2, n) == 0);
	icm_keystream(c, iv, ks2, 1000, 7);
	cr_assert(memcmp(ks, ks2, 1000) == 0);
	cr_assert_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
	free(ks);
	free(ks2);
}

/* The counter is 128 bits wide (RFC 3711 4.1.1: "IV + i mod 2^128"): check
 * the carry out of the low 64 bits and the wrap at 2^128 against OpenSSL's
 * own AES-128-CTR. */
Test(srtp_vectors, icm_counter_carry)
{
	static const char *const starts[] = {
		"00112233445566778899aabbccddfffe", "0011223344556677fffffffffffffffd",
		"fffffffffffffffffffffffffffffffe",
	};
	uint8_t key[30] = { 0 }, iv[16], ks[80], want[80] = { 0 };

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0xa0 + i); /* salt left zero: counter = iv */
	for (size_t k = 0; k < sizeof(starts) / sizeof(starts[0]); k++) {
		EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
		srtp_cipher_t *c = cipher_new(&srtp_backend_aes_icm_128, 30, 0, key);
		int outl;

		unhex(starts[k], iv, 16);
		cr_assert(ctx);
		memset(want, 0, sizeof(want));
		cr_assert_eq(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv), 1);
		cr_assert_eq(EVP_EncryptUpdate(ctx, want, &outl, want, sizeof(want)), 1);
		EVP_CIPHER_CTX_free(ctx);
		icm_keystream(c, iv, ks, sizeof(ks), 23);
		cr_assert(memcmp(ks, want, sizeof(ks)) == 0, "start %s", starts[k]);
		cr_assert_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
	}
}

/* RFC 3711 B.3: key derivation, done the way libsrtp2's KDF drives the
 * cipher (master key || master salt, label in octet 7 of the IV). */
Test(srtp_vectors, rfc3711_b3_key_derivation)
{
	uint8_t key[30], iv[16], out[94];
	srtp_cipher_t *c;

	unhex("E1F97A0D3E018BE0D64FA32C06DE4139" "0EC675AD498AFEEBB6960B3AABE6", key, 30);
	c = cipher_new(&srtp_backend_aes_icm_128, 30, 0, key);

	memset(iv, 0, sizeof(iv));
	iv[7] = 0x00; /* cipher key */
	icm_keystream(c, iv, out, 16, 16);
	assert_hex(out, "C61E7A93744F39EE10734AFE3FF7A087", "cipher key");
	iv[7] = 0x02; /* cipher salt */
	icm_keystream(c, iv, out, 14, 14);
	assert_hex(out, "30CBBC08863D8C85D49DB34A9AE1", "cipher salt");
	iv[7] = 0x01; /* authentication key, all 94 octets of the RFC */
	icm_keystream(c, iv, out, 94, 94);
	assert_hex(out,
		   "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
		   "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
		   "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2",
		   "auth key");
	cr_assert_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
}

/* RFC 6188 section 7.1: AES-256 counter mode keystream. */
Test(srtp_vectors, rfc6188_aes256_keystream)
{
	uint8_t key[46], iv[16] = { 0 }, ks[48];
	srtp_cipher_t *c;

	unhex("57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98"
	      "f0f1f2f3f4f5f6f7f8f9fafbfcfd", key, 46);
	c = cipher_new(&srtp_backend_aes_icm_256, 46, 0, key);
	icm_keystream(c, iv, ks, 48, 48);
	assert_hex(ks,
		   "92bdd28a93c3f52511c677d08b5515a49da71b2378a854f67050756ded165bac"
		   "63c4868b7096d88421b563b8c94c9a31",
		   "keystream");
	cr_assert_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
}

static const char gcm_pt_hex[] =
	"d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	"1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
static const char gcm_aad_hex[] = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
static const char gcm_iv_hex[] = "cafebabefacedbaddecaf888";

/* One GCM vector: encrypt + tag, decrypt + verify, and a bad tag. */
static void gcm_vector(const srtp_cipher_type_t *t, int key_len, const char *key_hex,
		       size_t pt_len, size_t aad_len, int tag_len, const char *ct_tag_hex)
{
	uint8_t key[44] = { 0 }, iv[12], aad[20], buf[128], pt[64];
	uint32_t len, tlen = 0;
	srtp_cipher_t *c;

	unhex(key_hex, key, (size_t)(key_len - 12)); /* salt part unused */
	unhex(gcm_iv_hex, iv, 12);
	unhex(gcm_aad_hex, aad, sizeof(aad));
	unhex(gcm_pt_hex, buf, pt_len);
	c = cipher_new(t, key_len, tag_len, key);

	cr_assert_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_set_aad(c, aad, (uint32_t)aad_len), srtp_err_status_ok);
	len = (uint32_t)pt_len;
	cr_assert_eq(srtp_cipher_encrypt(c, buf, &len), srtp_err_status_ok);
	cr_assert_eq(len, pt_len);
	cr_assert_eq(srtp_cipher_get_tag(c, buf + len, &tlen), srtp_err_status_ok);
	cr_assert_eq(tlen, (uint32_t)tag_len);
	assert_hex(buf, ct_tag_hex, "ciphertext || tag");

	cr_assert_eq(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_set_aad(c, aad, (uint32_t)aad_len), srtp_err_status_ok);
	len = (uint32_t)(pt_len + (size_t)tag_len);
	cr_assert_eq(srtp_cipher_decrypt(c, buf, &len), srtp_err_status_ok);
	cr_assert_eq(len, pt_len);
	unhex(gcm_pt_hex, pt, pt_len);
	cr_assert(memcmp(buf, pt, pt_len) == 0, "plaintext differs");

	/* Re-encrypt, flip one tag bit: decrypt must refuse. */
	cr_assert_eq(srtp_cipher_set_iv(c, iv, srtp_direction_encrypt), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_set_aad(c, aad, (uint32_t)aad_len), srtp_err_status_ok);
	len = (uint32_t)pt_len;
	cr_assert_eq(srtp_cipher_encrypt(c, buf, &len), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_get_tag(c, buf + len, &tlen), srtp_err_status_ok);
	buf[pt_len + (size_t)tag_len - 1] ^= 0x80;
	cr_assert_eq(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_set_aad(c, aad, (uint32_t)aad_len), srtp_err_status_ok);
	len = (uint32_t)(pt_len + (size_t)tag_len);
	cr_assert_neq(srtp_cipher_decrypt(c, buf, &len), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
}

/* "The Galois/Counter Mode of Operation", test cases 3, 4 and 16. */
Test(srtp_vectors, gcm_spec_aes128)
{
	const char *k = "feffe9928665731c6d6a8f9467308308";
	const char *ct =
		"42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		"21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091";

	/* test case 3: 64 octets, no AAD */
	gcm_vector(&srtp_backend_aes_gcm_128, 28, k, 64, 0, 16,
		   "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		   "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985"
		   "4d5c2af327cd64a62cf35abd2ba6fab4");
	/* test case 4: 60 octets, 20 octets AAD; then with an 8-octet tag */
	char both[256];
	snprintf(both, sizeof(both), "%s%s", ct, "5bc94fbc3221a5db94fae95ae7121a47");
	gcm_vector(&srtp_backend_aes_gcm_128, 28, k, 60, 20, 16, both);
	snprintf(both, sizeof(both), "%s%s", ct, "5bc94fbc3221a5db");
	gcm_vector(&srtp_backend_aes_gcm_128, 28, k, 60, 20, 8, both);
}

Test(srtp_vectors, gcm_spec_aes256)
{
	gcm_vector(&srtp_backend_aes_gcm_256, 44,
		   "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", 60, 20,
		   16,
		   "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
		   "76fc6ece0f4e1768cddf8853bb2d551b");
}

static void hmac_vector(const uint8_t *key, int key_len, const uint8_t *data, int len,
			int tag_len, const char *tag_hex)
{
	srtp_auth_t *a = NULL;
	uint8_t tag[20];

	cr_assert_eq(srtp_auth_type_alloc(&srtp_backend_hmac_sha1, &a, key_len, tag_len),
		     srtp_err_status_ok);
	cr_assert_eq(srtp_auth_init(a, key), srtp_err_status_ok);
	/* twice, through start(): the state must reset between packets */
	for (int round = 0; round < 2; round++) {
		memset(tag, 0, sizeof(tag));
		cr_assert_eq(srtp_auth_start(a), srtp_err_status_ok);
		cr_assert_eq(srtp_auth_update(a, data, len / 2), srtp_err_status_ok);
		cr_assert_eq(srtp_auth_compute(a, data + len / 2, len - len / 2, tag),
			     srtp_err_status_ok);
		assert_hex(tag, tag_hex, "HMAC-SHA1");
		cr_assert_eq(tag[tag_len < 20 ? tag_len : 19], tag_len < 20 ? 0 : tag[19]);
	}
	cr_assert_eq(srtp_auth_dealloc(a), srtp_err_status_ok);
}

/* RFC 2202 section 3, test cases 1 to 3, full and truncated tags. */
Test(srtp_vectors, rfc2202_hmac_sha1)
{
	uint8_t k1[20], k3[20], d3[50];

	memset(k1, 0x0b, sizeof(k1));
	memset(k3, 0xaa, sizeof(k3));
	memset(d3, 0xdd, sizeof(d3));
	hmac_vector(k1, 20, (const uint8_t *)"Hi There", 8, 20,
		    "b617318655057264e28bc0b6fb378c8ef146be00");
	hmac_vector((const uint8_t *)"Jefe", 4, (const uint8_t *)"what do ya want for nothing?",
		    28, 20, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	hmac_vector(k3, 20, d3, 50, 20, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
	hmac_vector(k3, 20, d3, 50, 10, "125d7342b9ac11cd91a3");
	hmac_vector(k3, 20, d3, 50, 4, "125d7342");
}

/* One SRTP packet protected with the RFC 3711 B.3 master key, checked
 * against the same packet built by hand with OpenSSL (AES-128-CTR and
 * HMAC-SHA1) from the session keys the RFC lists. */
static void rfc3711_packet(void)
{
	uint8_t master[30], ck[16], cs[14], ak[20], iv[16] = { 0 };
	uint8_t pkt[256], want[256], roc[4] = { 0, 0, 0, 0 }, mac[20];
	const uint32_t ssrc = 0xcafe0123;
	const uint16_t seq = 0x1234;
	srtp_policy_t pol;
	srtp_t s;
	int len, out;
	size_t maclen = 0;

	unhex("E1F97A0D3E018BE0D64FA32C06DE4139" "0EC675AD498AFEEBB6960B3AABE6", master, 30);
	unhex("C61E7A93744F39EE10734AFE3FF7A087", ck, 16);
	unhex("30CBBC08863D8C85D49DB34A9AE1", cs, 14);
	unhex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", ak, 20);

	len = tsrtp_rtp_packet(pkt, ssrc, seq, 0); /* 12 + 172 octets */
	memcpy(want, pkt, (size_t)len);

	/* By hand: IV = salt*2^16 XOR SSRC*2^64 XOR index*2^16 (RFC 3711 4.1.1). */
	memcpy(iv, cs, 14);
	for (int k = 0; k < 4; k++)
		iv[4 + k] ^= (uint8_t)(ssrc >> (24 - 8 * k));
	iv[12] ^= (uint8_t)(seq >> 8);
	iv[13] ^= (uint8_t)seq;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	cr_assert(ctx);
	cr_assert_eq(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, ck, iv), 1);
	cr_assert_eq(EVP_EncryptUpdate(ctx, want + 12, &out, want + 12, len - 12), 1);
	EVP_CIPHER_CTX_free(ctx);
	memcpy(want + len, roc, 4); /* MAC input: header || payload || ROC */
	cr_assert(EVP_Q_mac(NULL, "HMAC", NULL, "SHA1", NULL, ak, 20, want, (size_t)len + 4,
			    mac, sizeof(mac), &maclen) != NULL);
	memcpy(want + len, mac, 10);

	memset(&pol, 0, sizeof(pol));
	cr_assert_eq(srtp_backend_suite_policy(UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, &pol.rtp,
					       &pol.rtcp), 0);
	pol.ssrc.type = ssrc_specific;
	pol.ssrc.value = ssrc;
	pol.key = master;
	cr_assert_eq(srtp_create(&s, &pol), srtp_err_status_ok);
	cr_assert_eq(srtp_protect(s, pkt, &len), srtp_err_status_ok);
	cr_assert_eq(len, 12 + 172 + 10);
	cr_assert(memcmp(pkt, want, (size_t)len) == 0, "SRTP packet differs from RFC keys");
	srtp_dealloc(s);
}

Test(srtp_vectors, rfc3711_b3_packet_umedge)
{
	cr_assert_eq(srtp_backend_register(), 0);
	rfc3711_packet();
}

/* The same check on stock libsrtp2: validates the hand-built packet. */
Test(srtp_vectors, rfc3711_b3_packet_stock)
{
	cr_assert_eq(tsrtp_init(), 0);
	rfc3711_packet();
}

Test(srtp_vectors, self_tests)
{
	const srtp_cipher_type_t *ours[] = { &srtp_backend_aes_icm_128, &srtp_backend_aes_icm_192,
					     &srtp_backend_aes_icm_256, &srtp_backend_aes_gcm_128,
					     &srtp_backend_aes_gcm_256 };

	cr_assert_eq(tsrtp_init(), 0);
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		cr_assert_eq(srtp_cipher_type_self_test(ours[i]), srtp_err_status_ok, "%s",
			     ours[i]->description);
	cr_assert_eq(srtp_auth_type_self_test(&srtp_backend_hmac_sha1), srtp_err_status_ok);
	/* libsrtp2's own vectors for these types */
	cr_assert_eq(srtp_cipher_type_test(&srtp_backend_aes_icm_128, srtp_aes_icm_128.test_data),
		     srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_type_test(&srtp_backend_aes_icm_256, srtp_aes_icm_256.test_data),
		     srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_type_test(&srtp_backend_aes_gcm_128, srtp_aes_gcm_128.test_data),
		     srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_type_test(&srtp_backend_aes_gcm_256, srtp_aes_gcm_256.test_data),
		     srtp_err_status_ok);
	cr_assert_eq(srtp_auth_type_test(&srtp_backend_hmac_sha1, srtp_hmac.test_data),
		     srtp_err_status_ok);
}

/* libsrtp2's crypto kernel lookup (exported, declared in its private
 * crypto_kernel.h): after registration it hands out our types. */
srtp_err_status_t srtp_crypto_kernel_alloc_cipher(srtp_cipher_type_id_t id,
						  srtp_cipher_pointer_t *cp, int key_len,
						  int tag_len);

Test(srtp_vectors, register_replaces_kernel_types)
{
	srtp_cipher_t *c = NULL;

	cr_assert_eq(tsrtp_init(), 0);
	cr_assert(!srtp_backend_registered());
	cr_assert_eq(srtp_crypto_kernel_alloc_cipher(SRTP_AES_ICM_128, &c, 30, 0),
		     srtp_err_status_ok);
	cr_assert_neq(c->type, &srtp_backend_aes_icm_128);
	srtp_cipher_dealloc(c);

	cr_assert_eq(srtp_backend_register(), 0);
	cr_assert_eq(srtp_backend_register(), 0, "second call is a no-op");
	cr_assert(srtp_backend_registered());
	const struct { srtp_cipher_type_id_t id; int kl, tl; const srtp_cipher_type_t *t; } m[] = {
		{ SRTP_AES_ICM_128, 30, 0, &srtp_backend_aes_icm_128 },
		{ SRTP_AES_ICM_192, 38, 0, &srtp_backend_aes_icm_192 },
		{ SRTP_AES_ICM_256, 46, 0, &srtp_backend_aes_icm_256 },
		{ SRTP_AES_GCM_128, 28, 16, &srtp_backend_aes_gcm_128 },
		{ SRTP_AES_GCM_256, 44, 16, &srtp_backend_aes_gcm_256 },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		cr_assert_eq(srtp_crypto_kernel_alloc_cipher(m[i].id, &c, m[i].kl, m[i].tl),
			     srtp_err_status_ok);
		cr_assert_eq(c->type, m[i].t);
		cr_assert_eq(c->algorithm, (int)m[i].id);
		cr_assert_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
	}
}

Test(srtp_vectors, bad_parameters)
{
	srtp_cipher_t *c = NULL;
	srtp_auth_t *a = NULL;

	cr_assert_neq(srtp_cipher_type_alloc(&srtp_backend_aes_icm_128, &c, 16, 0),
		      srtp_err_status_ok);
	cr_assert_neq(srtp_cipher_type_alloc(&srtp_backend_aes_gcm_128, &c, 28, 12),
		      srtp_err_status_ok);
	cr_assert_neq(srtp_cipher_type_alloc(&srtp_backend_aes_gcm_128, &c, 30, 16),
		      srtp_err_status_ok);
	cr_assert_neq(srtp_auth_type_alloc(&srtp_backend_hmac_sha1, &a, 20, 21),
		      srtp_err_status_ok);
	cr_assert_neq(srtp_auth_type_alloc(&srtp_backend_hmac_sha1, &a, 65, 10),
		      srtp_err_status_ok);
	/* A GCM decrypt shorter than its tag. */
	uint8_t key[28] = { 1 }, iv[12] = { 2 }, buf[16] = { 0 };
	uint32_t len = 15;
	c = cipher_new(&srtp_backend_aes_gcm_128, 28, 16, key);
	cr_assert_eq(srtp_cipher_set_iv(c, iv, srtp_direction_decrypt), srtp_err_status_ok);
	cr_assert_neq(srtp_cipher_decrypt(c, buf, &len), srtp_err_status_ok);
	cr_assert_eq(srtp_cipher_dealloc(c), srtp_err_status_ok);
}

/* xorshift64*: reproducible inputs for the comparisons below. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* Ours and stock on the same random keys, IVs and lengths, with the
 * keystream requested in one to three pieces. */
static void icm_vs_stock(const srtp_cipher_type_t *stock, const srtp_cipher_type_t *ours,
			 int key_len)
{
	uint8_t key[46], iv[16], a[1600], b[1600];

	cr_assert_eq(tsrtp_init(), 0);
	for (int it = 0; it < 300; it++) {
		size_t n = rnd() % sizeof(a), cut1 = n ? rnd() % (n + 1) : 0;
		size_t cut2 = cut1 + (n - cut1 ? rnd() % (n - cut1 + 1) : 0);
		const size_t cuts[4] = { 0, cut1, cut2, n };
		srtp_cipher_t *cs, *co;

		rnd_bytes(key, sizeof(key));
		rnd_bytes(iv, sizeof(iv));
		iv[14] = iv[15] = 0; /* as libsrtp2 builds it: index * 2^16 */
		rnd_bytes(a, n);
		memcpy(b, a, n);
		cs = cipher_new(stock, key_len, 0, key);
		co = cipher_new(ours, key_len, 0, key);
		cr_assert_eq(srtp_cipher_set_iv(cs, iv, srtp_direction_encrypt), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_set_iv(co, iv, srtp_direction_encrypt), srtp_err_status_ok);
		for (int p = 0; p < 3; p++) {
			uint32_t la = (uint32_t)(cuts[p + 1] - cuts[p]), lb = la;

			cr_assert_eq(srtp_cipher_encrypt(cs, a + cuts[p], &la), srtp_err_status_ok);
			cr_assert_eq(srtp_cipher_encrypt(co, b + cuts[p], &lb), srtp_err_status_ok);
		}
		cr_assert(memcmp(a, b, n) == 0, "iteration %d, %zu octets", it, n);
		srtp_cipher_dealloc(cs);
		srtp_cipher_dealloc(co);
	}
}

Test(srtp_vs_stock, aes_icm_128)
{
	icm_vs_stock(&srtp_aes_icm_128, &srtp_backend_aes_icm_128, 30);
}

Test(srtp_vs_stock, aes_icm_256)
{
	icm_vs_stock(&srtp_aes_icm_256, &srtp_backend_aes_icm_256, 46);
}

/* GCM: the same ciphertext and tag; each decrypts the other's output. */
static void gcm_vs_stock(const srtp_cipher_type_t *stock, const srtp_cipher_type_t *ours,
			 int key_len)
{
	uint8_t key[44], iv[12], aad[64], a[1600], b[1600];

	cr_assert_eq(tsrtp_init(), 0);
	for (int it = 0; it < 200; it++) {
		size_t n = rnd() % 1500, alen = rnd() % sizeof(aad);
		int tag_len = (it & 1) ? 16 : 8;
		uint32_t la = (uint32_t)n, lb = (uint32_t)n, ta = 0, tb = 0;
		srtp_cipher_t *cs, *co;

		rnd_bytes(key, sizeof(key));
		rnd_bytes(iv, sizeof(iv));
		rnd_bytes(aad, alen);
		rnd_bytes(a, n);
		memcpy(b, a, n);
		cs = cipher_new(stock, key_len, tag_len, key);
		co = cipher_new(ours, key_len, tag_len, key);
		cr_assert_eq(srtp_cipher_set_iv(cs, iv, srtp_direction_encrypt), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_set_iv(co, iv, srtp_direction_encrypt), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_set_aad(cs, aad, (uint32_t)alen), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_set_aad(co, aad, (uint32_t)alen), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_encrypt(cs, a, &la), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_encrypt(co, b, &lb), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_get_tag(cs, a + la, &ta), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_get_tag(co, b + lb, &tb), srtp_err_status_ok);
		cr_assert_eq(la + ta, lb + tb);
		cr_assert(memcmp(a, b, la + ta) == 0, "iteration %d, %zu octets", it, n);

		/* cross-decrypt: stock output through ours and back */
		la = lb = (uint32_t)n + (uint32_t)tag_len;
		cr_assert_eq(srtp_cipher_set_iv(co, iv, srtp_direction_decrypt), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_set_aad(co, aad, (uint32_t)alen), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_decrypt(co, a, &la), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_set_iv(cs, iv, srtp_direction_decrypt), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_set_aad(cs, aad, (uint32_t)alen), srtp_err_status_ok);
		cr_assert_eq(srtp_cipher_decrypt(cs, b, &lb), srtp_err_status_ok);
		cr_assert_eq(la, n);
		cr_assert_eq(lb, n);
		cr_assert(memcmp(a, b, n) == 0);
		srtp_cipher_dealloc(cs);
		srtp_cipher_dealloc(co);
	}
}

Test(srtp_vs_stock, aes_gcm_128)
{
	gcm_vs_stock(&srtp_aes_gcm_128, &srtp_backend_aes_gcm_128, 28);
}

Test(srtp_vs_stock, aes_gcm_256)
{
	gcm_vs_stock(&srtp_aes_gcm_256, &srtp_backend_aes_gcm_256, 44);
}

Test(srtp_vs_stock, hmac_sha1)
{
	uint8_t key[20], data[1600], ta[20], tb[20];

	cr_assert_eq(tsrtp_init(), 0);
	for (int it = 0; it < 300; it++) {
		int n = (int)(rnd() % sizeof(data)), cut = n ? (int)(rnd() % (unsigned)n) : 0;
		srtp_auth_t *as = NULL, *ao = NULL;

		rnd_bytes(key, sizeof(key));
		rnd_bytes(data, (size_t)n);
		cr_assert_eq(srtp_auth_type_alloc(&srtp_hmac, &as, 20, 20), srtp_err_status_ok);
		cr_assert_eq(srtp_auth_type_alloc(&srtp_backend_hmac_sha1, &ao, 20, 20),
			     srtp_err_status_ok);
		cr_assert_eq(srtp_auth_init(as, key), srtp_err_status_ok);
		cr_assert_eq(srtp_auth_init(ao, key), srtp_err_status_ok);
		for (int round = 0; round < 2; round++) {
			cr_assert_eq(srtp_auth_start(as), srtp_err_status_ok);
			cr_assert_eq(srtp_auth_start(ao), srtp_err_status_ok);
			cr_assert_eq(srtp_auth_update(as, data, cut), srtp_err_status_ok);
			cr_assert_eq(srtp_auth_update(ao, data, cut), srtp_err_status_ok);
			cr_assert_eq(srtp_auth_compute(as, data + cut, n - cut, ta), srtp_err_status_ok);
			cr_assert_eq(srtp_auth_compute(ao, data + cut, n - cut, tb), srtp_err_status_ok);
			cr_assert(memcmp(ta, tb, 20) == 0, "iteration %d, %d octets", it, n);
		}
		srtp_auth_dealloc(as);
		srtp_auth_dealloc(ao);
	}
}

/* The SDES suite table: key lengths, tag lengths, SRTCP keeps 80 bits for
 * the _32 suite (RFC 4568 6.2.1). */
Test(srtp_suites, table)
{
	static const struct {
		enum umedge_srtp_suite suite;
		int master, rtp_tag, rtcp_tag;
		srtp_cipher_type_id_t cipher;
	} want[] = {
		{ UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_80, 30, 10, 10, SRTP_AES_ICM_128 },
		{ UMEDGE_SRTP_AES_CM_128_HMAC_SHA1_32, 30, 4, 10, SRTP_AES_ICM_128 },
		{ UMEDGE_SRTP_AES_256_CM_HMAC_SHA1_80, 46, 10, 10, SRTP_AES_ICM_256 },
		{ UMEDGE_SRTP_AEAD_AES_128_GCM, 28, 16, 16, SRTP_AES_GCM_128 },
		{ UMEDGE_SRTP_AEAD_AES_256_GCM, 44, 16, 16, SRTP_AES_GCM_256 },
	};
	srtp_crypto_policy_t rtp, rtcp;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		cr_assert_eq(srtp_backend_suite_master_len(want[i].suite), want[i].master);
		cr_assert_eq(srtp_backend_suite_policy(want[i].suite, &rtp, &rtcp), 0);
		cr_assert_eq(rtp.cipher_type, want[i].cipher);
		cr_assert_eq(rtp.cipher_key_len, want[i].master);
		cr_assert_eq(rtp.auth_tag_len, want[i].rtp_tag);
		cr_assert_eq(rtcp.auth_tag_len, want[i].rtcp_tag);
		cr_assert_eq(rtp.sec_serv, sec_serv_conf_and_auth);
	}
	cr_assert_eq(srtp_backend_suite_master_len(UMEDGE_SRTP_SUITE_COUNT), -EINVAL);
	cr_assert_eq(srtp_backend_suite_policy(UMEDGE_SRTP_SUITE_COUNT, &rtp, &rtcp), -EINVAL);
}
