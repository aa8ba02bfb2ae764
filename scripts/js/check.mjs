// The AWS SDK for JavaScript v3 against a site, as applications use it: a put with the SDK's
// default CRC32 and metadata, its checksum read back (x-amz-checksum-mode), a multipart upload and
// its composite checksum,
// a presigned PUT whose metadata the presigner puts in the query string, and a listing.
// Usage: node check.mjs ENDPOINT BUCKET (keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
import {
  S3Client, CreateBucketCommand, PutObjectCommand, HeadObjectCommand, GetObjectCommand,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand,
  ListObjectsV2Command,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";

const [endpoint, bucket] = process.argv.slice(2);
const s3 = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true });
const fail = (what) => { console.error(`js-check: FAILED: ${what}`); process.exit(1); };
const expect = (cond, what) => { if (!cond) fail(what); };

await s3.send(new CreateBucketCommand({ Bucket: bucket }));

// The SDK sends a CRC32 with every put by default; the site keeps it and gives it back.
const body = Buffer.from("written by the AWS SDK for JavaScript v3\n".repeat(1000));
const want = Buffer.alloc(4);
want.writeUInt32BE(crc32(body));
const put = await s3.send(new PutObjectCommand({
  Bucket: bucket, Key: "js/one.txt", Body: body, Metadata: { origin: "js" },
  ContentType: "text/plain",
}));
expect(put.ChecksumCRC32 === want.toString("base64"), `PutObject's CRC32 ${put.ChecksumCRC32}`);
const head = await s3.send(new HeadObjectCommand({
  Bucket: bucket, Key: "js/one.txt", ChecksumMode: "ENABLED",
}));
expect(head.ChecksumCRC32 === want.toString("base64"), `HeadObject's CRC32 ${head.ChecksumCRC32}`);
expect(head.Metadata?.origin === "js", `metadata ${JSON.stringify(head.Metadata)}`);
const got = await s3.send(new GetObjectCommand({
  Bucket: bucket, Key: "js/one.txt", ChecksumMode: "ENABLED",
}));
const back = Buffer.from(await got.Body.transformToByteArray());
expect(back.equals(body), "GetObject's bytes");

// Multipart: two parts of 5 MiB and one of 1 KiB, each with the SDK's CRC32, named again at the
// completion; the object's checksum is S3's COMPOSITE one, the CRC32 of the parts' CRC32s, "-3".
const parts = [Buffer.alloc(5 << 20, 1), Buffer.alloc(5 << 20, 2), Buffer.alloc(1024, 3)];
const { UploadId } = await s3.send(new CreateMultipartUploadCommand({
  Bucket: bucket, Key: "js/big", ChecksumAlgorithm: "CRC32",
}));
const done = [];
const partSums = [];
for (let i = 0; i < parts.length; i++) {
  const r = await s3.send(new UploadPartCommand({
    Bucket: bucket, Key: "js/big", UploadId, PartNumber: i + 1, Body: parts[i],
    ChecksumAlgorithm: "CRC32",
  }));
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc32(parts[i]));
  expect(r.ChecksumCRC32 === sum.toString("base64"), `part ${i + 1}'s CRC32 ${r.ChecksumCRC32}`);
  partSums.push(sum);
  done.push({ PartNumber: i + 1, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
}
await s3.send(new CompleteMultipartUploadCommand({
  Bucket: bucket, Key: "js/big", UploadId, MultipartUpload: { Parts: done },
}));
const composite = Buffer.alloc(4);
composite.writeUInt32BE(crc32(Buffer.concat(partSums)));
const bigHead = await s3.send(new HeadObjectCommand({
  Bucket: bucket, Key: "js/big", ChecksumMode: "ENABLED",
}));
expect(bigHead.ChecksumCRC32 === `${composite.toString("base64")}-3`,
  `the multipart object's CRC32 ${bigHead.ChecksumCRC32}`);
const whole = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "js/big" })))
  .Body.transformToByteArray());
expect(createHash("md5").update(whole).digest("hex")
  === createHash("md5").update(Buffer.concat(parts)).digest("hex"), "the multipart object's bytes");

// A presigned PUT: the presigner moves x-amz-meta-* into the signed query string. Its client
// computes checksums only when required, as applications that presign do: by default the
// presigner would also sign the CRC32 of an empty body, which any upload then fails (in S3 too).
const presigning = new S3Client({
  endpoint, region: "us-east-1", forcePathStyle: true, requestChecksumCalculation: "WHEN_REQUIRED",
});
const url = await getSignedUrl(presigning, new PutObjectCommand({
  Bucket: bucket, Key: "js/presigned.txt", Metadata: { colour: "blue" },
}), { expiresIn: 300 });
expect(url.includes("x-amz-meta-colour=blue"), `the presigner kept the metadata in the headers: ${url}`);
const uploaded = await fetch(url, { method: "PUT", body: "sent with fetch" });
expect(uploaded.status === 200, `presigned PUT answered ${uploaded.status}: ${await uploaded.text()}`);
const presignedHead = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "js/presigned.txt" }));
expect(presignedHead.Metadata?.colour === "blue",
  `presigned metadata ${JSON.stringify(presignedHead.Metadata)}`);

const listing = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "js/" }));
const keys = (listing.Contents ?? []).map((o) => o.Key).sort();
expect(JSON.stringify(keys) === JSON.stringify(["js/big", "js/one.txt", "js/presigned.txt"]),
  `listing ${JSON.stringify(keys)}`);
console.error("js-check: put with CRC32 (read back), multipart with its composite CRC32 read back, presigned PUT with metadata, list passed");
