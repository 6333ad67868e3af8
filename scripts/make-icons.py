import zlib, struct, sys
def rr(x,y,x0,y0,w,h,r):
    if not (x0<=x<x0+w and y0<=y<y0+h): return False
    cx=min(max(x,x0+r),x0+w-r); cy=min(max(y,y0+r),y0+h-r)
    return (x-cx)**2+(y-cy)**2<=r*r
def px(u,v):
    # u,v in 0..64
    layers=[((4,4,56,56,12),(0x25,0x63,0xeb,255)),((14,20,36,30,4),(255,255,255,255)),((12,14,40,10,3),(0xbf,0xdb,0xfe,255)),((26,30,12,4,2),(0x25,0x63,0xeb,255))]
    c=(0,0,0,0)
    for (g,col) in layers:
        if rr(u,v,*g): c=col
    return c
def png(n,path):
    ss=3; rows=[]
    for j in range(n):
        row=bytearray([0])
        for i in range(n):
            acc=[0,0,0,0]
            for a in range(ss):
                for b in range(ss):
                    c=px((i+(a+.5)/ss)*64/n,(j+(b+.5)/ss)*64/n)
                    for k in range(4): acc[k]+=c[k]
            row+=bytes(int(v/(ss*ss)) for v in acc)
        rows.append(bytes(row))
    raw=b''.join(rows)
    def chunk(t,d): return struct.pack('>I',len(d))+t+d+struct.pack('>I',zlib.crc32(t+d)&0xffffffff)
    data=b'\x89PNG\r\n\x1a\n'+chunk(b'IHDR',struct.pack('>IIBBBBB',n,n,8,6,0,0,0))+chunk(b'IDAT',zlib.compress(raw,9))+chunk(b'IEND',b'')
    open(path,'wb').write(data)
for n,name in [(32,'32x32.png'),(128,'128x128.png'),(256,'128x128@2x.png'),(512,'icon.png'),(64,'tray.png')]:
    png(n,name)
